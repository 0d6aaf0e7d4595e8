//! The leaf check (慧眼识烟) on the FFI: load the model once, hand over a camera frame or a
//! gallery photo, get the verdict, maturity, disease, advice and lesson links back; keep the
//! answers the farmer wants in the check history.
//!
//! Frames cross without a copy on the Kotlin/Swift side (`&[u8]` from a direct `ByteBuffer` or
//! `Data`) into a [`LeafFrame`], which copies them once on the Rust side during the synchronous
//! call: borrowed foreign memory is only valid for that call, while the check itself runs later
//! on the blocking pool. The camera's buffer can be given back as soon as the frame exists.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use yannong_core::cancel::Cancel;
use yannong_core::curing::Maturity;
use yannong_core::leaf::history::{self, HistoryEntry};
use yannong_core::leaf::model::{HeadAnswer, HeadKind, LabelProbability, LeafModel, ModelError};
use yannong_core::leaf::{
    Advice, Check, CheckError, CheckOptions, ColourFeatures, Failure, Frame, LeafAnswer,
    LeafChecker, LeafError, LessonTopic, MaturityAnswer, MaturitySource, ModelId, Pixels, Plane,
    PrepareOptions, Problem, QualityMetrics, QualityReport, Rotation, VeinContrast, Verdict,
    YuvRange, answer_json, maturity_topic,
};
use yannong_core::text::Locale;
use yannong_core::{Text, Timestamp};

use crate::lessons::{Lesson, LessonLinkKind, Lessons};
use crate::runtime::blocking;
use crate::types::{LeafMaturity, LeafPosition, LocalizedText};
use crate::{Yannong, YannongError};

// ---------------------------------------------------------------------------------------------
// Records and enums

/// How to check a leaf.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafCheckOptions {
    /// Side of the centre square to check, as a fraction of the frame's shorter side
    /// (0.05–1); match the guide square the camera screen draws. Gallery photos that are
    /// already framed: 1.
    #[uniffi(default = 0.8)]
    pub roi_fraction: f64,
    /// Where on the stalk the leaf grows; the harvest advice and recipe depend on it.
    pub position: LeafPosition,
    /// A disease is listed under `problems` from this calibrated probability on (0–1).
    #[uniffi(default = 0.3)]
    pub problem_min: f64,
}

impl Default for LeafCheckOptions {
    fn default() -> LeafCheckOptions {
        LeafCheckOptions {
            roi_fraction: 0.8,
            position: LeafPosition::Middle,
            problem_min: 0.3,
        }
    }
}

/// The headline of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafVerdict {
    /// Judged: maturity, problems and advice are answers.
    Ok,
    /// The photo is not good enough; `hints` say how to retake it.
    Retake,
    /// A leaf was seen but the model does not know; nothing below is an answer.
    NotSure,
    /// No (or too little) leaf in the picture.
    NoLeaf,
}

/// Where a maturity class came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafMaturitySource {
    /// A maturity head of the model, calibrated.
    Model,
    /// The transparent colour rule (an estimate).
    Colour,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafMaturityAnswer {
    pub class: LeafMaturity,
    pub name: LocalizedText,
    pub source: LeafMaturitySource,
    /// Calibrated probability of a model answer; `None` for the colour rule.
    pub probability: Option<f64>,
    /// False when the source itself is unsure (near a class boundary, low probability).
    pub sure: bool,
    /// What was seen, e.g. "约6成黄，叶色黄绿，主脉发白".
    pub explanation: LocalizedText,
}

/// One label's calibrated probability.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafLabelProbability {
    /// The model's label id, e.g. `alternaria`, `healthy`.
    pub id: String,
    pub name: LocalizedText,
    pub probability: f64,
}

/// The disease head's answer (also when not sure, so the probabilities can be shown).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafDisease {
    /// The most probable label.
    pub id: String,
    pub name: LocalizedText,
    pub probability: f64,
    /// False when the top label is only a hint (below the model's "not sure" thresholds).
    pub confident: bool,
    /// Every label, in the model's order; they sum to 1.
    pub probabilities: Vec<LeafLabelProbability>,
}

/// A problem seen on the leaf.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafProblem {
    pub id: String,
    pub name: LocalizedText,
    pub probability: f64,
}

/// A lesson worth reading: pass `kind` and `key` to the lesson library.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeafLessonTopic {
    pub kind: LessonLinkKind,
    /// E.g. `over_ripe` for a leaf class, `brown_spot` for a disease.
    pub key: String,
}

/// What to do now.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafAdvice {
    /// Harvest decision for the maturity seen.
    pub harvest: LocalizedText,
    /// The built-in recipe that suits such a load, e.g. `middle+under-ripe`.
    pub recipe_id: Option<String>,
    pub recipe_name: Option<LocalizedText>,
    /// Extra notes, e.g. on a disease seen.
    pub notes: Vec<LocalizedText>,
    /// Lessons worth reading, most relevant first.
    pub lessons: Vec<LeafLessonTopic>,
}

/// One check of the photo-quality gate, most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeafQualityCheck {
    TooDark,
    TooBright,
    Blurry,
    NoLeaf,
    Glare,
}

/// One failed quality check: what was measured and the limit it broke.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafQualityFailure {
    pub check: LeafQualityCheck,
    /// The metric that broke the limit, e.g. `mean_luma`.
    pub metric: String,
    pub measured: f64,
    pub threshold: f64,
    /// What the farmer should do.
    pub hint: LocalizedText,
}

/// What the gate measured on the checked square (see docs/leaf-quality-gate.md).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafQualityMetrics {
    pub blur_laplacian_var: f64,
    pub blur_directional_min: f64,
    /// 0–255.
    pub mean_luma: f64,
    pub dark_fraction: f64,
    pub bright_fraction: f64,
    pub glare_fraction: f64,
    /// Share of the square that is leaf, 0–1.
    pub leaf_coverage: f64,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafQuality {
    pub passed: bool,
    /// Every failed check, most important first.
    pub failures: Vec<LeafQualityFailure>,
    pub metrics: LeafQualityMetrics,
}

/// Veins against the lamina, when thin bright structures were found.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafVeinContrast {
    pub share: f64,
    pub delta_l: f64,
    /// < 1: veins paler (whiter) than the lamina.
    pub chroma_ratio: f64,
}

/// The leaf's colour (CIE L*a*b* over the leaf pixels).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LeafColour {
    pub leaf_pixels: u32,
    pub lab_l: f64,
    pub lab_a: f64,
    pub lab_b: f64,
    pub chroma: f64,
    pub hue_deg: f64,
    pub yellow_fraction: f64,
    pub yellow_green_fraction: f64,
    pub green_fraction: f64,
    /// Yellowed share of the leaf (落黄, "N成黄"), 0–1.
    pub yellowing: f64,
    pub vein: Option<LeafVeinContrast>,
}

/// Which model answered.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeafModelInfo {
    pub name: String,
    pub version: u32,
}

/// Everything one check found.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafResult {
    pub verdict: LeafVerdict,
    /// What to do about the verdict (retake hints, "not sure"); empty for `Ok`.
    pub hints: Vec<LocalizedText>,
    /// Only for `Ok`.
    pub maturity: Option<LeafMaturityAnswer>,
    /// Whenever the model ran.
    pub disease: Option<LeafDisease>,
    /// Only for `Ok`.
    pub problems: Vec<LeafProblem>,
    /// Only for `Ok`.
    pub advice: Option<LeafAdvice>,
    pub quality: LeafQuality,
    pub colour: Option<LeafColour>,
    /// `None` for a colour-only checker.
    pub model: Option<LeafModelInfo>,
    /// The model's closeness to its training pictures, when it ran.
    pub similarity: Option<f64>,
    /// A small JPEG of the checked square (96 px), for lists and the history.
    pub thumbnail: Vec<u8>,
    /// The answer as the core's JSON (same as `yannong leaf check --json`), to log or forward.
    pub json: String,
}

/// One saved check as the history list shows it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LeafHistoryEntry {
    pub id: i64,
    pub checked_at: SystemTime,
    pub verdict: LeafVerdict,
    /// When judged.
    pub maturity: Option<LeafMaturity>,
    /// The disease head's top label when the model ran.
    pub disease: Option<String>,
    pub confidence: Option<f64>,
    pub model_name: Option<String>,
    pub model_version: Option<u32>,
    pub note: String,
}

/// A saved check in full: the answer's JSON (as in [`LeafResult::json`]) and its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LeafHistoryDetail {
    pub id: i64,
    pub json: String,
    pub thumbnail: Vec<u8>,
}

// ---------------------------------------------------------------------------------------------
// Frames

/// One camera frame or photo, copied out of the platform's buffers once (the only copy), so
/// the camera can reuse them at once. Checked as often as wanted; free it (`close`/`use`) when
/// done, a full-resolution frame is megabytes.
#[derive(Debug, uniffi::Object)]
pub struct LeafFrame {
    pixels: OwnedPixels,
    rotation: Rotation,
}

#[derive(Debug)]
enum OwnedPixels {
    Nv21 {
        width: u32,
        height: u32,
        data: Vec<u8>,
    },
    Yuv420 {
        width: u32,
        height: u32,
        y: Vec<u8>,
        u: Vec<u8>,
        v: Vec<u8>,
        y_row_stride: usize,
        uv_row_stride: usize,
        uv_pixel_stride: usize,
    },
    Nv12 {
        width: u32,
        height: u32,
        y: Vec<u8>,
        uv: Vec<u8>,
        y_bytes_per_row: usize,
        uv_bytes_per_row: usize,
        range: YuvRange,
    },
    Bgra {
        width: u32,
        height: u32,
        bytes_per_row: usize,
        data: Vec<u8>,
    },
    Rgba {
        width: u32,
        height: u32,
        bytes_per_row: usize,
        data: Vec<u8>,
    },
    Encoded(Vec<u8>),
}

impl LeafFrame {
    fn frame(&self) -> Frame<'_> {
        let pixels = match &self.pixels {
            OwnedPixels::Nv21 {
                width,
                height,
                data,
            } => Pixels::Nv21 {
                width: *width,
                height: *height,
                data,
                range: YuvRange::Full,
            },
            OwnedPixels::Yuv420 {
                width,
                height,
                y,
                u,
                v,
                y_row_stride,
                uv_row_stride,
                uv_pixel_stride,
            } => {
                let chroma = |data| Plane {
                    data,
                    row_stride: *uv_row_stride,
                    pixel_stride: *uv_pixel_stride,
                };
                Pixels::Yuv420 {
                    width: *width,
                    height: *height,
                    y: Plane {
                        data: y,
                        row_stride: *y_row_stride,
                        pixel_stride: 1,
                    },
                    u: chroma(u),
                    v: chroma(v),
                    range: YuvRange::Full,
                }
            }
            OwnedPixels::Nv12 {
                width,
                height,
                y,
                uv,
                y_bytes_per_row,
                uv_bytes_per_row,
                range,
            } => Pixels::Nv12 {
                width: *width,
                height: *height,
                y,
                y_bytes_per_row: *y_bytes_per_row,
                uv,
                uv_bytes_per_row: *uv_bytes_per_row,
                range: *range,
            },
            OwnedPixels::Bgra {
                width,
                height,
                bytes_per_row,
                data,
            } => Pixels::Bgra {
                width: *width,
                height: *height,
                bytes_per_row: *bytes_per_row,
                data,
            },
            OwnedPixels::Rgba {
                width,
                height,
                bytes_per_row,
                data,
            } => Pixels::Rgba {
                width: *width,
                height: *height,
                bytes_per_row: *bytes_per_row,
                data,
            },
            OwnedPixels::Encoded(data) => Pixels::Encoded(data),
        };
        Frame::new(pixels).rotated(self.rotation)
    }

    fn new(pixels: OwnedPixels, rotation_degrees: i32) -> Result<Arc<LeafFrame>, YannongError> {
        let rotation = Rotation::from_degrees(rotation_degrees).map_err(|_| {
            invalid(
                "rotation_degrees",
                format!("画面旋转角度必须是 90 的倍数，收到 {rotation_degrees}"),
                format!("rotation must be a multiple of 90°, got {rotation_degrees}"),
            )
        })?;
        Ok(Arc::new(LeafFrame { pixels, rotation }))
    }
}

/// Frame geometry arrives as the platforms' signed ints; a negative one is the caller's bug.
fn size(field: &'static str, value: i32) -> Result<u32, YannongError> {
    u32::try_from(value).map_err(|_| {
        invalid(
            field,
            format!("{field} 不能为负数：{value}"),
            format!("{field} must not be negative, got {value}"),
        )
    })
}

fn stride(field: &'static str, value: i32) -> Result<usize, YannongError> {
    size(field, value).map(|v| v as usize)
}

/// Caller mistakes found before the core runs carry both languages: a frame has no locale.
fn invalid(field: &str, zh: String, en: String) -> YannongError {
    YannongError::InvalidInput {
        detail: format!("{zh}（{en}）"),
        field: Some(field.to_owned()),
        step: None,
    }
}

#[uniffi::export]
impl LeafFrame {
    /// An Android NV21 frame (old camera API; tightly packed Y plane, then interleaved V/U),
    /// full-range BT.601. `rotation_degrees` turns it upright (any multiple of 90).
    #[uniffi::constructor]
    pub fn nv21(
        data: &[u8],
        width: i32,
        height: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Nv21 {
            width: size("width", width)?,
            height: size("height", height)?,
            data: data.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// An Android `YUV_420_888` frame (Camera2 / CameraX `ImageProxy.planes`): the three
    /// planes' buffers as they are, the Y plane's row stride and the U/V planes' (shared) row
    /// and pixel strides; full-range BT.601.
    #[uniffi::constructor]
    #[allow(clippy::too_many_arguments)]
    pub fn yuv420(
        y: &[u8],
        u: &[u8],
        v: &[u8],
        width: i32,
        height: i32,
        y_row_stride: i32,
        uv_row_stride: i32,
        uv_pixel_stride: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Yuv420 {
            width: size("width", width)?,
            height: size("height", height)?,
            y_row_stride: stride("y_row_stride", y_row_stride)?,
            uv_row_stride: stride("uv_row_stride", uv_row_stride)?,
            uv_pixel_stride: stride("uv_pixel_stride", uv_pixel_stride)?,
            y: y.to_vec(),
            u: u.to_vec(),
            v: v.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// An iOS bi-planar 4:2:0 pixel buffer: `full_range` for
    /// `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange` ('420f'), false for `…VideoRange`.
    #[uniffi::constructor]
    #[allow(clippy::too_many_arguments)]
    pub fn nv12(
        y: &[u8],
        uv: &[u8],
        width: i32,
        height: i32,
        y_bytes_per_row: i32,
        uv_bytes_per_row: i32,
        full_range: bool,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Nv12 {
            width: size("width", width)?,
            height: size("height", height)?,
            y_bytes_per_row: stride("y_bytes_per_row", y_bytes_per_row)?,
            uv_bytes_per_row: stride("uv_bytes_per_row", uv_bytes_per_row)?,
            range: if full_range {
                YuvRange::Full
            } else {
                YuvRange::Limited
            },
            y: y.to_vec(),
            uv: uv.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// An iOS `kCVPixelFormatType_32BGRA` buffer; alpha is ignored.
    #[uniffi::constructor]
    pub fn bgra(
        data: &[u8],
        width: i32,
        height: i32,
        bytes_per_row: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Bgra {
            width: size("width", width)?,
            height: size("height", height)?,
            bytes_per_row: stride("bytes_per_row", bytes_per_row)?,
            data: data.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// RGBA pixels (e.g. an Android `Bitmap` in `ARGB_8888`, which is RGBA in memory); alpha
    /// is ignored.
    #[uniffi::constructor]
    pub fn rgba(
        data: &[u8],
        width: i32,
        height: i32,
        bytes_per_row: i32,
        rotation_degrees: i32,
    ) -> Result<Arc<LeafFrame>, YannongError> {
        let pixels = OwnedPixels::Rgba {
            width: size("width", width)?,
            height: size("height", height)?,
            bytes_per_row: stride("bytes_per_row", bytes_per_row)?,
            data: data.to_vec(),
        };
        LeafFrame::new(pixels, rotation_degrees)
    }

    /// A JPEG or PNG photo (e.g. from the gallery); its EXIF orientation is honoured. Whether
    /// it decodes is found out by the check.
    #[uniffi::constructor]
    pub fn photo(bytes: &[u8]) -> Arc<LeafFrame> {
        Arc::new(LeafFrame {
            pixels: OwnedPixels::Encoded(bytes.to_vec()),
            rotation: Rotation::R0,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The checker

/// Checks leaves with one loaded model, or with the colour rule alone. Thread-safe; checks
/// may run concurrently.
#[derive(Debug, uniffi::Object)]
pub struct LeafCheckEngine {
    checker: LeafChecker,
    locale: Locale,
    /// The cancel flags of the checks running now, for [`LeafCheckEngine::cancel`] (Swift's
    /// generated code does not drop a Rust future when its task is cancelled).
    running: Mutex<Vec<Arc<Cancel>>>,
}

#[uniffi::export]
impl LeafCheckEngine {
    /// Loads the model in `model_dir` (`manifest.json` + the ONNX file it names, checked
    /// against its SHA-256) once, off the caller's thread; with no folder, checks use the
    /// colour rule alone. `locale` (BCP-47, e.g. "zh-CN") picks the language of the texts'
    /// `text` and of error messages.
    #[uniffi::constructor]
    pub async fn open(
        model_dir: Option<String>,
        locale: String,
    ) -> Result<Arc<LeafCheckEngine>, YannongError> {
        let locale = Locale::from_tag(&locale);
        let model = match model_dir {
            None => None,
            Some(dir) => {
                let dir = PathBuf::from(dir);
                if !dir.is_dir() {
                    return Err(YannongError::NotFound {
                        detail: match locale {
                            Locale::Zh => format!("找不到烟叶识别模型目录：{}", dir.display()),
                            Locale::En => {
                                format!("no leaf model folder at {}", dir.display())
                            }
                        },
                    });
                }
                let model = blocking(move |_| {
                    LeafModel::load(&dir).map_err(|e| model_error(e, true, locale))
                })
                .await?;
                tracing::info!(
                    name = %model.manifest().name,
                    version = model.manifest().version,
                    "leaf model loaded"
                );
                Some(Arc::new(model))
            }
        };
        Ok(Arc::new(LeafCheckEngine {
            checker: LeafChecker::new(model),
            locale,
            running: Mutex::default(),
        }))
    }

    /// The loaded model; `None` for a colour-only checker.
    pub fn model(&self) -> Option<LeafModelInfo> {
        self.checker.model().map(|m| LeafModelInfo {
            name: m.manifest().name.clone(),
            version: m.manifest().version,
        })
    }

    /// Checks one frame on the core's blocking pool: quality gate, then the model (only when
    /// the photo passed), then the answer. A bad photo is an answer (`Retake`, `NoLeaf`), not an
    /// error. Dropping the call (a cancelled coroutine) or [`LeafCheckEngine::cancel`] stops it
    /// between stages with `Cancelled`.
    pub async fn check(
        &self,
        frame: Arc<LeafFrame>,
        options: LeafCheckOptions,
    ) -> Result<LeafResult, YannongError> {
        let locale = self.locale;
        let opts = check_options(&options, locale)?;
        let checker = self.checker.clone();
        let running = self.register();
        let flag = Arc::clone(&running.flag);
        blocking(move |_| {
            let answer = checker
                .check(&frame.frame(), &opts, &flag)
                .map_err(|e| check_error(e, locale))?;
            Ok(result(&answer, locale))
        })
        .await
    }

    /// Stops every check of this checker that is running now; they end with `Cancelled`.
    /// Later checks are not affected.
    pub fn cancel(&self) {
        for flag in lock(&self.running).iter() {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// A running check's flag in [`LeafCheckEngine::running`]. Dropping it (the check ended, or
/// its caller stopped waiting) raises the flag, so abandoned work stops, and unregisters it.
struct Running<'a> {
    list: &'a Mutex<Vec<Arc<Cancel>>>,
    flag: Arc<Cancel>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.flag.store(true, Ordering::Relaxed);
        lock(self.list).retain(|f| !Arc::ptr_eq(f, &self.flag));
    }
}

impl LeafCheckEngine {
    fn register(&self) -> Running<'_> {
        let flag = Arc::new(Cancel::new(false));
        lock(&self.running).push(Arc::clone(&flag));
        Running {
            list: &self.running,
            flag,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn check_options(o: &LeafCheckOptions, locale: Locale) -> Result<CheckOptions, YannongError> {
    // The core checks roi_fraction; problem_min is only compared, so a NaN would hide every
    // problem silently.
    if !(0.0..=1.0).contains(&o.problem_min) {
        return Err(YannongError::InvalidInput {
            detail: match locale {
                Locale::Zh => format!("problem_min 必须在 0 到 1 之间，收到 {}", o.problem_min),
                Locale::En => format!("problem_min must be within 0–1, got {}", o.problem_min),
            },
            field: Some("problem_min".to_owned()),
            step: None,
        });
    }
    Ok(CheckOptions {
        prepare: PrepareOptions {
            roi_fraction: o.roi_fraction as f32,
            ..PrepareOptions::default()
        },
        position: o.position.into(),
        problem_min: o.problem_min as f32,
    })
}

// ---------------------------------------------------------------------------------------------
// History and lessons

#[uniffi::export]
impl Yannong {
    /// Keeps a check in the history (the answer as JSON and its thumbnail), stamped now;
    /// returns its id. Saves what `result` says, so pass it unchanged.
    pub async fn save_leaf_check(&self, result: LeafResult) -> Result<i64, YannongError> {
        let store = Arc::clone(&self.store);
        let locale = self.locale;
        blocking(move |_| {
            let answer = answer(&result, locale)?;
            Ok(history::save(
                &store,
                &answer,
                &result.thumbnail,
                Timestamp::now(),
            )?)
        })
        .await
    }

    /// Saved checks, newest first, at most `limit`; pass the last id seen as `before` for the
    /// next page.
    pub async fn leaf_checks(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<LeafHistoryEntry>, YannongError> {
        let store = Arc::clone(&self.store);
        let entries = blocking(move |_| Ok(history::list(&store, limit as usize, before)?)).await?;
        entries.into_iter().map(history_entry).collect()
    }

    /// A saved check's answer (JSON) and thumbnail; `None` if there is no such check.
    pub async fn leaf_check_detail(
        &self,
        id: i64,
    ) -> Result<Option<LeafHistoryDetail>, YannongError> {
        let store = Arc::clone(&self.store);
        let detail = blocking(move |_| Ok(history::detail(&store, id)?)).await?;
        Ok(detail.map(|(json, thumbnail)| LeafHistoryDetail {
            id,
            json,
            thumbnail,
        }))
    }

    /// Sets the farmer's note on a saved check (e.g. which field); false if there is none.
    pub async fn set_leaf_check_note(&self, id: i64, note: String) -> Result<bool, YannongError> {
        let store = Arc::clone(&self.store);
        blocking(move |_| Ok(history::set_note(&store, id, &note)?)).await
    }

    /// Deletes a saved check; false if there was none.
    pub async fn remove_leaf_check(&self, id: i64) -> Result<bool, YannongError> {
        let store = Arc::clone(&self.store);
        blocking(move |_| Ok(history::remove(&store, id)?)).await
    }
}

#[uniffi::export]
impl Lessons {
    /// The lessons a check's advice points at, most relevant topic first, each lesson once.
    /// Empty when the check gave no advice or no installed pack links the topics.
    pub async fn lessons_for_leaf_check(
        &self,
        result: LeafResult,
    ) -> Result<Vec<Lesson>, YannongError> {
        let topics = result.advice.map(|a| a.lessons).unwrap_or_default();
        let mut lessons: Vec<Lesson> = Vec::new();
        for topic in topics {
            for lesson in self.lessons_for(topic.kind, topic.key).await? {
                if !lessons
                    .iter()
                    .any(|l| l.pack_id == lesson.pack_id && l.lesson_id == lesson.lesson_id)
                {
                    lessons.push(lesson);
                }
            }
        }
        Ok(lessons)
    }
}

fn history_entry(e: HistoryEntry) -> Result<LeafHistoryEntry, YannongError> {
    let damaged = |what: &str, value: &str| YannongError::Integrity {
        detail: format!("saved leaf check {}: unknown {what} {value:?}", e.id),
    };
    let verdict = match e.verdict.as_str() {
        "ok" => LeafVerdict::Ok,
        "retake" => LeafVerdict::Retake,
        "not_sure" => LeafVerdict::NotSure,
        "no_leaf" => LeafVerdict::NoLeaf,
        other => return Err(damaged("verdict", other)),
    };
    let maturity = match e.maturity.as_deref() {
        None => None,
        Some(key) => Some(
            [
                Maturity::Unripe,
                Maturity::UnderRipe,
                Maturity::Ripe,
                Maturity::OverRipe,
            ]
            .into_iter()
            .find(|m| maturity_topic(*m) == key)
            .map(leaf_maturity)
            .ok_or_else(|| damaged("maturity", key))?,
        ),
    };
    Ok(LeafHistoryEntry {
        id: e.id,
        checked_at: e.checked_at.into(),
        verdict,
        maturity,
        disease: e.disease,
        confidence: e.confidence,
        model_name: e.model_name,
        model_version: e.model_version,
        note: e.note,
    })
}

// ---------------------------------------------------------------------------------------------
// Errors

fn check_error(e: CheckError, locale: Locale) -> YannongError {
    match e {
        CheckError::Frame(f) => frame_error(f, locale),
        CheckError::Model(m) => model_error(m, false, locale),
        CheckError::Cancelled => YannongError::Cancelled,
        e => YannongError::Internal {
            detail: e.to_string(),
        },
    }
}

fn frame_error(e: LeafError, locale: Locale) -> YannongError {
    let en = e.to_string();
    let input = |field: &str, zh: &str| YannongError::InvalidInput {
        detail: match locale {
            Locale::Zh => format!("{zh}（{en}）"),
            Locale::En => en.clone(),
        },
        field: Some(field.to_owned()),
        step: None,
    };
    const PHOTO: &str = "照片无法读取，只支持完整的 JPEG 或 PNG 照片";
    const FRAME: &str = "相机画面数据不对";
    match &e {
        // The thumbnail of an already checked square failed: not the caller's input.
        LeafError::Decode(m) if m.starts_with("thumbnail") => YannongError::Internal { detail: en },
        LeafError::UnsupportedFormat | LeafError::Decode(_) => input("photo", PHOTO),
        LeafError::ZeroSize { .. } | LeafError::TooLarge { .. } | LeafError::OddSize { .. } => {
            input("size", FRAME)
        }
        LeafError::StrideTooSmall { .. } => input("row_stride", FRAME),
        LeafError::PixelStride { .. } => input("pixel_stride", FRAME),
        LeafError::PlaneTooShort { plane, .. } => input(plane, FRAME),
        LeafError::InvalidOption { name, .. } => input(name, "检查选项不对"),
        _ => YannongError::Internal { detail: en },
    }
}

/// `loading`: a model that cannot be read is a damaged download; at check time, any model
/// failure is a bug.
fn model_error(e: ModelError, loading: bool, locale: Locale) -> YannongError {
    let en = e.to_string();
    let detail = match locale {
        Locale::Zh => format!("烟叶识别模型不可用（{en}）"),
        Locale::En => en,
    };
    match e {
        ModelError::Io(_) => YannongError::Storage {
            detail,
            disk_full: false,
        },
        ModelError::Manifest(_) | ModelError::Integrity(_) | ModelError::Model(_) if loading => {
            YannongError::Integrity { detail }
        }
        _ => YannongError::Internal { detail },
    }
}

// ---------------------------------------------------------------------------------------------
// Core answer <-> record

fn leaf_maturity(m: Maturity) -> LeafMaturity {
    match m {
        Maturity::Unripe => LeafMaturity::Unripe,
        Maturity::UnderRipe => LeafMaturity::UnderRipe,
        Maturity::Ripe => LeafMaturity::Ripe,
        Maturity::OverRipe => LeafMaturity::OverRipe,
    }
}

fn text(t: &LocalizedText) -> Text {
    Text::new(t.zh.clone(), t.en.clone())
}

const CHECKS: [(Check, LeafQualityCheck); 5] = [
    (Check::TooDark, LeafQualityCheck::TooDark),
    (Check::TooBright, LeafQualityCheck::TooBright),
    (Check::Blurry, LeafQualityCheck::Blurry),
    (Check::NoLeaf, LeafQualityCheck::NoLeaf),
    (Check::Glare, LeafQualityCheck::Glare),
];

/// The gate's metric names (`Failure::metric`), which the core keeps as `&'static str`.
const METRICS: [&str; 7] = [
    "blur_laplacian_var",
    "blur_directional_min",
    "mean_luma",
    "dark_fraction",
    "bright_fraction",
    "glare_fraction",
    "leaf_coverage",
];

const VERDICTS: [(Verdict, LeafVerdict); 4] = [
    (Verdict::Ok, LeafVerdict::Ok),
    (Verdict::Retake, LeafVerdict::Retake),
    (Verdict::NotSure, LeafVerdict::NotSure),
    (Verdict::NoLeaf, LeafVerdict::NoLeaf),
];

fn result(a: &LeafAnswer, locale: Locale) -> LeafResult {
    let lt = |t: &Text| LocalizedText::new(t, locale);
    let label = |p: &LabelProbability| LeafLabelProbability {
        id: p.id.clone(),
        name: lt(&p.name),
        probability: f64::from(p.probability),
    };
    let m = &a.quality.metrics;
    LeafResult {
        verdict: VERDICTS
            .iter()
            .find(|(v, _)| *v == a.verdict)
            .map_or(LeafVerdict::NotSure, |(_, l)| *l),
        hints: a.hints.iter().map(lt).collect(),
        maturity: a.maturity.as_ref().map(|m| LeafMaturityAnswer {
            class: leaf_maturity(m.class),
            name: lt(&m.name),
            source: match m.source {
                MaturitySource::Model => LeafMaturitySource::Model,
                MaturitySource::Colour => LeafMaturitySource::Colour,
            },
            probability: m.probability.map(f64::from),
            sure: m.sure,
            explanation: lt(&m.explanation),
        }),
        disease: a.disease.as_ref().map(|h| {
            let top = h.top_label();
            LeafDisease {
                id: top.id.clone(),
                name: lt(&top.name),
                probability: f64::from(top.probability),
                confident: h.confident,
                probabilities: h.probabilities.iter().map(label).collect(),
            }
        }),
        problems: a
            .problems
            .iter()
            .map(|p| LeafProblem {
                id: p.id.clone(),
                name: lt(&p.name),
                probability: f64::from(p.probability),
            })
            .collect(),
        advice: a.advice.as_ref().map(|ad| LeafAdvice {
            harvest: lt(&ad.harvest),
            recipe_id: ad.recipe_id.clone(),
            recipe_name: ad.recipe_name.as_ref().map(lt),
            notes: ad.notes.iter().map(lt).collect(),
            lessons: ad
                .topics
                .iter()
                .map(|t| match t {
                    LessonTopic::LeafClass(k) => LeafLessonTopic {
                        kind: LessonLinkKind::LeafClass,
                        key: k.clone(),
                    },
                    LessonTopic::Disease(k) => LeafLessonTopic {
                        kind: LessonLinkKind::Disease,
                        key: k.clone(),
                    },
                })
                .collect(),
        }),
        quality: LeafQuality {
            passed: a.quality.passed(),
            failures: a
                .quality
                .failures
                .iter()
                .map(|f| LeafQualityFailure {
                    check: CHECKS
                        .iter()
                        .find(|(c, _)| *c == f.check)
                        .map_or(LeafQualityCheck::NoLeaf, |(_, l)| *l),
                    metric: f.metric.to_owned(),
                    measured: f64::from(f.measured),
                    threshold: f64::from(f.threshold),
                    hint: lt(&f.hint),
                })
                .collect(),
            metrics: LeafQualityMetrics {
                blur_laplacian_var: f64::from(m.blur_laplacian_var),
                blur_directional_min: f64::from(m.blur_directional_min),
                mean_luma: f64::from(m.mean_luma),
                dark_fraction: f64::from(m.dark_fraction),
                bright_fraction: f64::from(m.bright_fraction),
                glare_fraction: f64::from(m.glare_fraction),
                leaf_coverage: f64::from(m.leaf_coverage),
            },
        },
        colour: a.colour.as_ref().map(|c| LeafColour {
            leaf_pixels: c.leaf_pixels,
            lab_l: f64::from(c.lab[0]),
            lab_a: f64::from(c.lab[1]),
            lab_b: f64::from(c.lab[2]),
            chroma: f64::from(c.chroma),
            hue_deg: f64::from(c.hue_deg),
            yellow_fraction: f64::from(c.yellow_fraction),
            yellow_green_fraction: f64::from(c.yellow_green_fraction),
            green_fraction: f64::from(c.green_fraction),
            yellowing: f64::from(c.yellowing()),
            vein: c.vein.map(|v| LeafVeinContrast {
                share: f64::from(v.share),
                delta_l: f64::from(v.delta_l),
                chroma_ratio: f64::from(v.chroma_ratio),
            }),
        }),
        model: a.model.as_ref().map(|m| LeafModelInfo {
            name: m.name.clone(),
            version: m.version,
        }),
        similarity: a.similarity.map(f64::from),
        thumbnail: a.thumbnail.clone(),
        json: answer_json(a).to_string(),
    }
}

/// The core answer a record came from, for the history (which stores the core's JSON). Every
/// number went f32 → f64, which is exact, so this is the answer the check gave.
fn answer(r: &LeafResult, locale: Locale) -> Result<LeafAnswer, YannongError> {
    let bad = |field: &str, what: String| YannongError::InvalidInput {
        detail: match locale {
            Locale::Zh => format!("检查结果不完整或被改动：{what}"),
            Locale::En => format!("not a leaf check result: {what}"),
        },
        field: Some(field.to_owned()),
        step: None,
    };
    let f = |x: f64| x as f32;
    let label = |p: &LeafLabelProbability| LabelProbability {
        id: p.id.clone(),
        name: text(&p.name),
        probability: f(p.probability),
    };
    let q = &r.quality.metrics;
    let failures = r
        .quality
        .failures
        .iter()
        .map(|fl| {
            let check = CHECKS
                .iter()
                .find(|(_, l)| *l == fl.check)
                .map(|(c, _)| *c)
                .unwrap_or(Check::NoLeaf);
            let metric = METRICS
                .iter()
                .find(|m| **m == fl.metric)
                .ok_or_else(|| bad("quality", format!("unknown metric {:?}", fl.metric)))?;
            Ok(Failure {
                check,
                metric,
                measured: f(fl.measured),
                threshold: f(fl.threshold),
                hint: text(&fl.hint),
            })
        })
        .collect::<Result<Vec<_>, YannongError>>()?;
    let disease = match &r.disease {
        None => None,
        Some(d) => Some(HeadAnswer {
            kind: HeadKind::Disease,
            top: d
                .probabilities
                .iter()
                .position(|p| p.id == d.id)
                .ok_or_else(|| bad("disease", format!("{:?} is not among the labels", d.id)))?,
            probabilities: d.probabilities.iter().map(label).collect(),
            confident: d.confident,
        }),
    };
    let advice = match &r.advice {
        None => None,
        Some(ad) => Some(Advice {
            harvest: text(&ad.harvest),
            recipe_id: ad.recipe_id.clone(),
            recipe_name: ad.recipe_name.as_ref().map(text),
            notes: ad.notes.iter().map(text).collect(),
            topics: ad
                .lessons
                .iter()
                .map(|t| match t.kind {
                    LessonLinkKind::LeafClass => Ok(LessonTopic::LeafClass(t.key.clone())),
                    LessonLinkKind::Disease => Ok(LessonTopic::Disease(t.key.clone())),
                    LessonLinkKind::Alarm => Err(bad("advice", "an alarm lesson".to_owned())),
                })
                .collect::<Result<_, _>>()?,
        }),
    };
    Ok(LeafAnswer {
        verdict: VERDICTS
            .iter()
            .find(|(_, l)| *l == r.verdict)
            .map_or(Verdict::NotSure, |(v, _)| *v),
        hints: r.hints.iter().map(text).collect(),
        quality: QualityReport {
            metrics: QualityMetrics {
                blur_laplacian_var: f(q.blur_laplacian_var),
                blur_directional_min: f(q.blur_directional_min),
                mean_luma: f(q.mean_luma),
                dark_fraction: f(q.dark_fraction),
                bright_fraction: f(q.bright_fraction),
                glare_fraction: f(q.glare_fraction),
                leaf_coverage: f(q.leaf_coverage),
            },
            failures,
        },
        colour: r.colour.map(|c| ColourFeatures {
            leaf_pixels: c.leaf_pixels,
            lab: [f(c.lab_l), f(c.lab_a), f(c.lab_b)],
            chroma: f(c.chroma),
            hue_deg: f(c.hue_deg),
            yellow_fraction: f(c.yellow_fraction),
            yellow_green_fraction: f(c.yellow_green_fraction),
            green_fraction: f(c.green_fraction),
            vein: c.vein.map(|v| VeinContrast {
                share: f(v.share),
                delta_l: f(v.delta_l),
                chroma_ratio: f(v.chroma_ratio),
            }),
        }),
        maturity: r.maturity.as_ref().map(|m| MaturityAnswer {
            class: m.class.into(),
            name: text(&m.name),
            source: match m.source {
                LeafMaturitySource::Model => MaturitySource::Model,
                LeafMaturitySource::Colour => MaturitySource::Colour,
            },
            probability: m.probability.map(f),
            sure: m.sure,
            explanation: text(&m.explanation),
        }),
        disease,
        problems: r
            .problems
            .iter()
            .map(|p| Problem {
                id: p.id.clone(),
                name: text(&p.name),
                probability: f(p.probability),
            })
            .collect(),
        advice,
        model: r.model.as_ref().map(|m| ModelId {
            name: m.name.clone(),
            version: m.version,
        }),
        similarity: r.similarity.map(f),
        thumbnail: r.thumbnail.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn model_dir() -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../models/leaf")
            .display()
            .to_string()
    }

    /// As core/tests/leaf_support data_dir().
    fn data_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("YANNONG_LEAF_DATA") {
            return PathBuf::from(dir);
        }
        let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/leaf");
        let workplace = PathBuf::from("/work/shared/data/leaf");
        if !beside.join("manifest.csv").is_file() && workplace.join("manifest.csv").is_file() {
            return workplace;
        }
        beside
    }

    fn photo(label: &str) -> Vec<u8> {
        let dir = data_dir().join("images/disease").join(label);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("leaf photos missing at {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        std::fs::read(&files[0]).unwrap()
    }

    fn engine() -> Arc<LeafCheckEngine> {
        block_on(LeafCheckEngine::open(Some(model_dir()), "en".into())).unwrap()
    }

    #[test]
    fn a_result_turns_back_into_the_core_answer() {
        let engine = engine();
        assert!(engine.model().is_some());
        let opts = LeafCheckOptions {
            roi_fraction: 1.0,
            ..LeafCheckOptions::default()
        };
        let mut saw_disease = false;
        for label in ["alternaria", "cercospora", "healthy"] {
            let frame = LeafFrame::photo(&photo(label));
            let core = engine
                .checker
                .check(
                    &frame.frame(),
                    &check_options(&opts, Locale::En).unwrap(),
                    &Cancel::new(false),
                )
                .unwrap();
            let r = block_on(engine.check(frame, opts)).unwrap();
            assert_eq!(answer(&r, Locale::En).unwrap(), core, "{label}");
            assert_eq!(r.json, answer_json(&core).to_string());
            saw_disease |= r.disease.is_some();
        }
        assert!(saw_disease, "the model ran on at least one photo");
    }

    #[test]
    fn bad_frames_are_invalid_input() {
        let engine = block_on(LeafCheckEngine::open(None, "zh-CN".into())).unwrap();
        assert!(engine.model().is_none());
        let opts = LeafCheckOptions::default();
        let cases = [
            (LeafFrame::photo(b"not a photo at all"), "photo"),
            (LeafFrame::photo(&photo("healthy")[..600]), "photo"),
            (LeafFrame::nv21(&[0; 10], 4, 4, 0).unwrap(), "nv21"),
            (
                LeafFrame::rgba(&[0; 64], 4, 4, 8, 90).unwrap(),
                "row_stride",
            ),
            (
                LeafFrame::yuv420(&[0; 16], &[0; 4], &[0; 4], 4, 4, 4, 2, 3, 0).unwrap(),
                "pixel_stride",
            ),
        ];
        for (frame, field) in cases {
            let e = block_on(engine.check(frame, opts)).unwrap_err();
            assert!(
                matches!(&e, YannongError::InvalidInput { field: Some(f), .. } if f == field),
                "{field}: {e:?}"
            );
        }
        let rotation = LeafFrame::nv21(&[0; 24], 4, 4, 45).unwrap_err();
        assert!(
            matches!(rotation, YannongError::InvalidInput { field: Some(f), .. } if f == "rotation_degrees")
        );
        let negative = LeafFrame::bgra(&[], -4, 4, 16, 0).unwrap_err();
        assert!(
            matches!(negative, YannongError::InvalidInput { field: Some(f), .. } if f == "width")
        );
        let roi = LeafCheckOptions {
            roi_fraction: f64::NAN,
            ..opts
        };
        let e = block_on(engine.check(LeafFrame::photo(&photo("healthy")), roi)).unwrap_err();
        assert!(
            matches!(&e, YannongError::InvalidInput { field: Some(f), .. } if f == "roi_fraction"),
            "{e:?}"
        );
        let missing = block_on(LeafCheckEngine::open(
            Some("/nonexistent/leaf".into()),
            "en".into(),
        ));
        assert!(matches!(missing, Err(YannongError::NotFound { .. })));
    }

    #[test]
    fn cancel_stops_running_checks_only() {
        let engine = engine();
        let bytes = photo("alternaria");
        let opts = LeafCheckOptions::default();
        // Cancel while checks run: each ends Cancelled or, if it finished first, with an answer.
        let rt = crate::runtime::runtime();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (engine, frame) = (Arc::clone(&engine), LeafFrame::photo(&bytes));
                rt.spawn(async move { engine.check(frame, opts).await })
            })
            .collect();
        // Cancel once all four are registered (they start on the runtime's workers).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while lock(&engine.running).len() < 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        engine.cancel();
        let mut cancelled = 0;
        for t in tasks {
            match block_on(t).unwrap() {
                Err(YannongError::Cancelled) => cancelled += 1,
                Ok(_) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        assert!(cancelled > 0, "at least one check saw the cancel");
        assert!(lock(&engine.running).is_empty());
        // A check after the cancel runs normally.
        block_on(engine.check(LeafFrame::photo(&bytes), opts)).unwrap();
    }

    #[test]
    fn history_roundtrip() {
        let dir = tempfile::tempdir().unwrap();
        let y = block_on(Yannong::open(crate::YannongConfig {
            data_dir: dir.path().display().to_string(),
            locale: "en".into(),
        }))
        .unwrap();
        let engine = engine();
        let opts = LeafCheckOptions {
            roi_fraction: 1.0,
            ..LeafCheckOptions::default()
        };
        let r = block_on(engine.check(LeafFrame::photo(&photo("cercospora")), opts)).unwrap();
        let id = block_on(y.save_leaf_check(r.clone())).unwrap();
        let list = block_on(y.leaf_checks(10, None)).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, id);
        assert_eq!(list[0].verdict, r.verdict);
        assert_eq!(list[0].disease, r.disease.as_ref().map(|d| d.id.clone()));
        let detail = block_on(y.leaf_check_detail(id)).unwrap().unwrap();
        assert_eq!(detail.json, r.json);
        assert_eq!(detail.thumbnail, r.thumbnail);
        assert!(block_on(y.set_leaf_check_note(id, "东地块".into())).unwrap());
        assert_eq!(block_on(y.leaf_checks(10, None)).unwrap()[0].note, "东地块");
        assert!(block_on(y.remove_leaf_check(id)).unwrap());
        assert!(!block_on(y.remove_leaf_check(id)).unwrap());
        assert!(block_on(y.leaf_check_detail(id)).unwrap().is_none());
        let mut tampered = r;
        if let Some(d) = tampered.disease.as_mut() {
            d.id = "nonsense".into();
            let e = block_on(y.save_leaf_check(tampered)).unwrap_err();
            assert!(matches!(e, YannongError::InvalidInput { .. }), "{e:?}");
        }
    }
}
