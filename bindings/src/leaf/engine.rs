//! The checker object: the model loaded once, checks on the blocking pool, cancellation.

use super::*;
use crate::lesson_download::lock;

/// Checks leaves with one loaded model, or with the colour rule alone. Thread-safe; checks
/// may run concurrently.
#[derive(Debug, uniffi::Object)]
pub struct LeafCheckEngine {
    pub(super) checker: LeafChecker,
    locale: Locale,
    /// The cancel flags of the checks running now, for [`LeafCheckEngine::cancel`] (Swift's
    /// generated code does not drop a Rust future when its task is cancelled).
    pub(super) running: Mutex<Vec<Arc<Cancel>>>,
}

#[uniffi::export]
impl LeafCheckEngine {
    /// Loads the model in `model_dir` (`manifest.json` + the model file it names, checked
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

pub(super) fn check_options(
    o: &LeafCheckOptions,
    locale: Locale,
) -> Result<CheckOptions, YannongError> {
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
