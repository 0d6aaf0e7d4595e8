//! Lesson search over a generated corpus of 1 000 Chinese lessons (10 packs of 100): index build
//! time, the time of each of 20 typical queries (Chinese, pinyin, initials, mixed), and the p99
//! of 2 000 searches measured one by one (printed as a report; the goal is ≤ 5 ms).
//!
//! The corpus is generated from a fixed vocabulary with a fixed seed: no network, same text on
//! every run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use tempfile::TempDir;
use yannong_core::Text;
use yannong_core::lessons::search::{IndexedLesson, index_pack, search, warm_up};
use yannong_core::store::{Store, StoreError};

const PACKS: usize = 10;
const LESSONS_PER_PACK: usize = 100;
const TIMED_SEARCHES: usize = 2_000;
const LIMIT: usize = 20;

const QUERIES: &[&str] = &[
    "烘烤变黄",
    "变黄期",
    "赤星病",
    "干湿球",
    "烟叶变黄了怎么办",
    "湿球温度",
    "烤房漏气怎么处理",
    "挂灰",
    "升温",
    "叶斑病识别",
    "hongkao",
    "bianhuang",
    "ganshiqiu",
    "chixingbing",
    "hong kao",
    "hk",
    "bh",
    "bhq",
    "变黄qi",
    "curing",
];

/// Tobacco words, each likely to be a query.
const DOMAIN: &[&str] = &[
    "烘烤",
    "烤烟",
    "烟叶",
    "烤房",
    "密集烤房",
    "装烟",
    "编烟",
    "变黄期",
    "定色期",
    "干筋期",
    "变黄",
    "定色",
    "干筋",
    "凋萎",
    "干球温度",
    "湿球温度",
    "干湿球",
    "干湿差",
    "稳温",
    "升温",
    "排湿",
    "进风门",
    "循环风机",
    "采收",
    "成熟度",
    "上部叶",
    "中部叶",
    "下部叶",
    "主脉",
    "叶尖",
    "烤青",
    "挂灰",
    "蒸片",
    "杂色",
    "叶斑病",
    "赤星病",
    "野火病",
    "角斑病",
    "青枯病",
    "黑胫病",
    "花叶病",
    "蚜虫",
    "烟青虫",
    "打顶",
    "抹杈",
    "移栽",
    "追肥",
    "停电",
    "故障",
    "漏气",
];

/// Everyday words between them.
const COMMON: &[&str] = &[
    "叶片", "温度", "湿度", "时间", "注意", "及时", "农户", "检查", "颜色", "水分", "发软", "适当",
    "控制", "观察", "避免", "保持", "提高", "降低", "防止", "需要", "一般", "容易", "阶段", "小时",
    "左右", "全部", "部分", "明显", "开始", "结束", "增加", "减少", "正常", "问题", "原因", "方法",
    "技术", "质量", "效果", "田间", "天气", "雨后", "晴天", "早上",
];

const TITLE_ENDS: &[&str] = &[
    "怎么烤",
    "识别",
    "要点",
    "怎么办",
    "的原因",
    "管理",
    "诊断",
    "技巧",
];

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
    /// A domain word one time in three, an everyday word otherwise.
    fn word(&mut self) -> &'static str {
        if self.below(3) == 0 {
            self.pick(DOMAIN)
        } else {
            self.pick(COMMON)
        }
    }
}

struct GenLesson {
    id: String,
    title: Text,
    tags: Vec<String>,
    markdown: String,
}

fn sentence(rng: &mut Rng, out: &mut String) {
    let words = 4 + rng.below(6);
    for i in 0..words {
        out.push_str(rng.word());
        match rng.below(8) {
            0 => out.push_str(&format!("{}℃", 30 + rng.below(40))),
            1 if i + 1 < words => out.push('，'),
            2 => out.push('的'),
            _ => {}
        }
    }
    out.push('。');
}

fn lesson(rng: &mut Rng, pack: usize, n: usize) -> GenLesson {
    let title = format!("{}{}{}", rng.pick(DOMAIN), rng.word(), rng.pick(TITLE_ENDS));
    let tags = (0..2 + rng.below(2))
        .map(|_| rng.pick(DOMAIN).to_owned())
        .collect();
    let mut md = format!("# {title}\n\n");
    // About 800–1 500 characters in a few sections, a list and a table.
    for section in 0..3 + rng.below(3) {
        md.push_str(&format!("## 第{}节 {}\n\n", section + 1, rng.pick(DOMAIN)));
        for _ in 0..3 + rng.below(4) {
            sentence(rng, &mut md);
        }
        md.push_str("\n\n");
        for _ in 0..2 {
            md.push_str("- **");
            md.push_str(rng.pick(DOMAIN));
            md.push_str("**：");
            sentence(rng, &mut md);
            md.push('\n');
        }
        md.push_str("\n| 阶段 | 干球 | 湿球 |\n|---|---|---|\n");
        md.push_str(&format!(
            "| {} | {}℃ | {}℃ |\n\n",
            rng.pick(DOMAIN),
            35 + rng.below(30),
            33 + rng.below(10)
        ));
    }
    GenLesson {
        id: format!("lesson-{pack}-{n}"),
        title: Text::new(title, format!("Lesson {pack}.{n} on curing")),
        tags,
        markdown: md,
    }
}

fn corpus() -> Vec<Vec<GenLesson>> {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    (0..PACKS)
        .map(|p| {
            (0..LESSONS_PER_PACK)
                .map(|n| lesson(&mut rng, p, n))
                .collect()
        })
        .collect()
}

fn indexed(lessons: &[GenLesson]) -> Vec<IndexedLesson<'_>> {
    lessons
        .iter()
        .map(|l| IndexedLesson {
            lesson_id: &l.id,
            title: &l.title,
            tags: &l.tags,
            markdown: &l.markdown,
        })
        .collect()
}

fn index(store: &Store, pack: usize, lessons: &[GenLesson]) {
    let items = indexed(lessons);
    store
        .write(|tx| -> Result<(), StoreError> {
            Ok(index_pack(tx, &format!("pack-{pack}"), &items)?)
        })
        .expect("index");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn lesson_search(c: &mut Criterion) {
    let packs = corpus();
    let chars: usize = packs
        .iter()
        .flatten()
        .map(|l| l.markdown.chars().count())
        .sum();
    let dir = TempDir::new().expect("temp dir");
    let store = Store::open_in_dir(dir.path()).expect("store");

    let started = Instant::now();
    warm_up();
    let warm = started.elapsed();

    let started = Instant::now();
    for (p, lessons) in packs.iter().enumerate() {
        index(&store, p, lessons);
    }
    let built = started.elapsed();
    let db_bytes = std::fs::metadata(store.path())
        .map(|m| m.len())
        .unwrap_or(0)
        + std::fs::metadata(store.path().with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    eprintln!(
        "lesson_search: {} lessons, {} Markdown chars; segmenter warm-up {:.1} ms; index build \
         {:.0} ms ({:.2} ms/lesson); database + WAL {:.1} MB",
        PACKS * LESSONS_PER_PACK,
        chars,
        warm.as_secs_f64() * 1e3,
        built.as_secs_f64() * 1e3,
        built.as_secs_f64() * 1e3 / (PACKS * LESSONS_PER_PACK) as f64,
        db_bytes as f64 / 1e6
    );

    // p99 of single searches, round-robin over the queries.
    let mut all = Vec::with_capacity(TIMED_SEARCHES);
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); QUERIES.len()];
    for i in 0..TIMED_SEARCHES {
        let q = i % QUERIES.len();
        let started = Instant::now();
        let hits = store
            .read(|conn| search(conn, black_box(QUERIES[q]), LIMIT))
            .expect("search");
        let took = started.elapsed();
        black_box(hits);
        all.push(took);
        per_query[q].push(took);
    }
    all.sort_unstable();
    eprintln!(
        "lesson_search: {} searches, limit {LIMIT}: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, \
         max {:.3} ms (goal: p99 ≤ 5 ms)",
        all.len(),
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.90).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
        all[all.len() - 1].as_secs_f64() * 1e3,
    );
    for (q, times) in QUERIES.iter().zip(&mut per_query) {
        times.sort_unstable();
        let hits = store.read(|conn| search(conn, q, LIMIT)).expect("search");
        eprintln!(
            "lesson_search:   {q:<12} {:>2} hits  p50 {:.3} ms  p99 {:.3} ms",
            hits.len(),
            percentile(times, 0.50).as_secs_f64() * 1e3,
            percentile(times, 0.99).as_secs_f64() * 1e3,
        );
    }

    let mut group = c.benchmark_group("lesson_search");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for q in QUERIES {
        group.bench_function(format!("query/{q}"), |b| {
            b.iter(|| {
                store
                    .read(|conn| search(conn, black_box(q), LIMIT))
                    .expect("search")
            })
        });
    }
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("reindex_pack_of_100", |b| {
        b.iter(|| index(&store, 0, &packs[0]))
    });
    group.finish();
}

criterion_group!(benches, lesson_search);
criterion_main!(benches);
