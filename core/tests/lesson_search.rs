//! Lesson search against a real store: Chinese words, pinyin and initials, ranking,
//! highlighting, hostile input, and index maintenance.

#![allow(clippy::unwrap_used)]

use tempfile::TempDir;
use yannong_core::Text;
use yannong_core::lessons::search::{IndexedLesson, SearchHit, index_pack, remove_pack, search};
use yannong_core::store::{Store, StoreError};

struct Lesson {
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    tags: &'static [&'static str],
    markdown: &'static str,
}

const BASICS: &[Lesson] = &[
    Lesson {
        id: "yellowing",
        zh: "变黄期怎么烤",
        en: "Curing the yellowing stage",
        tags: &["烘烤", "变黄期"],
        markdown: "# 变黄期怎么烤\n\n\
            变黄期是烘烤的第一阶段，目标是让烟叶**由绿变黄**，同时失去部分水分。\n\n\
            ## 温湿度\n\n\
            | 阶段 | 干球温度 | 湿球温度 |\n|---|---|---|\n| 变黄前期 | 36～38℃ | 35～36℃ |\n| 变黄后期 | 40～42℃ | 36～37℃ |\n\n\
            - 装烟后点火，以每小时1℃升到38℃稳温。\n\
            - 高温层烟叶七八成黄、叶片发软时，再升温。\n\n\
            ![变黄期烟叶](img/yellow.jpg)\n",
    },
    Lesson {
        id: "fixing",
        zh: "定色期怎么烤",
        en: "Curing the colour-fixing stage",
        tags: &["烘烤", "定色期"],
        markdown: "# 定色期怎么烤\n\n\
            烟叶全部变黄、主脉发软后进入定色期。定色期要**加大排湿**，把叶片颜色固定下来。\n\n\
            1. 以每2～3小时1℃升温到54℃。\n\
            2. 湿球温度稳定在38～39℃，防止烤青、挂灰。\n\n\
            > 升温过快容易烤青，升温过慢容易挂灰。\n",
    },
    Lesson {
        id: "drying",
        zh: "干筋期怎么烤",
        en: "Curing the stem-drying stage",
        tags: &["烘烤", "干筋期"],
        markdown: "# 干筋期怎么烤\n\n\
            叶片全干后进入干筋期，目标是把主脉烤干。干球温度升到65～68℃，湿球温度40～42℃。\n\n\
            干筋期温度不能超过70℃，否则烟叶香气变差、颜色发红。\n",
    },
    Lesson {
        id: "bulbs",
        zh: "看懂干湿球",
        en: "Reading the dry and wet bulbs",
        tags: &["温湿度", "烤房"],
        markdown: "# 看懂干湿球\n\n\
            干球温度是烤房里的空气温度；湿球温度反映空气湿度。干湿差越大，空气越干燥。\n\n\
            湿球纱布要每炕更换，水壶要加满清水，否则湿球读数偏高。\n",
    },
    Lesson {
        id: "leaf-spot",
        zh: "叶斑病识别",
        en: "Recognising leaf-spot diseases",
        tags: &["病害", "田间管理"],
        markdown: "# 叶斑病识别\n\n\
            常见叶斑病有三种，要分清再用药。\n\n\
            - **赤星病**：病斑褐色圆形，有明显同心轮纹，多在打顶后的成熟期发生。\n\
            - **野火病**：病斑周围有黄色晕圈，雨后扩展很快。\n\
            - **角斑病**：病斑受叶脉限制呈多角形。\n\n\
            发现病叶要及时摘除，带出田外销毁。\n",
    },
    Lesson {
        id: "outage",
        zh: "停电与故障应急",
        en: "Power cuts and breakdowns",
        tags: &["应急", "烤房"],
        markdown: "# 停电与故障应急\n\n\
            烘烤中突然停电时，立即关闭进风门和排湿窗，保持烤房内温度。\n\n\
            如果风机故障，先关火降温，再检查电机和皮带。停电超过两小时，要准备发电机。\n",
    },
    Lesson {
        id: "ripeness",
        zh: "烟叶成熟特征",
        en: "Signs of a ripe leaf",
        tags: &["采收", "成熟度"],
        markdown: "# 烟叶成熟特征\n\n\
            成熟的烟叶叶色由绿转黄，叶面出现成熟斑，主脉变白发亮，茸毛脱落。\n\n\
            下部叶适当早采，上部叶要充分成熟再采收，四到六片一次采完。\n",
    },
    Lesson {
        id: "diagnosis",
        zh: "烤坏烟诊断",
        en: "Diagnosing badly cured leaves",
        tags: &["烘烤", "质量"],
        markdown: "# 烤坏烟诊断\n\n\
            常见烤坏烟有烤青、挂灰、蒸片和杂色。\n\n\
            - 烤青：变黄不够就定色，叶片带青。\n\
            - 挂灰：定色期升温太慢或湿度太大，叶面发灰。\n\
            - 蒸片：湿球温度过高，叶片像被蒸过一样发暗。\n",
    },
];

fn open() -> (TempDir, Store) {
    let dir = TempDir::new().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    (dir, store)
}

fn index(store: &Store, pack_id: &str, lessons: &[Lesson]) {
    let titles: Vec<Text> = lessons.iter().map(|l| Text::new(l.zh, l.en)).collect();
    let tags: Vec<Vec<String>> = lessons
        .iter()
        .map(|l| l.tags.iter().map(|t| t.to_string()).collect())
        .collect();
    let indexed: Vec<IndexedLesson<'_>> = lessons
        .iter()
        .enumerate()
        .map(|(i, l)| IndexedLesson {
            lesson_id: l.id,
            title: &titles[i],
            tags: &tags[i],
            markdown: l.markdown,
        })
        .collect();
    store
        .write(|tx| -> Result<(), StoreError> { Ok(index_pack(tx, pack_id, &indexed)?) })
        .unwrap();
}

fn find(store: &Store, query: &str) -> Vec<SearchHit> {
    store
        .read(|c| search(c, query, 20))
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

fn ids(hits: &[SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.lesson_id.as_str()).collect()
}

fn basics() -> (TempDir, Store) {
    let (dir, store) = open();
    index(&store, "basics", BASICS);
    (dir, store)
}

#[test]
fn chinese_words_find_lessons_whatever_the_segmentation() {
    let (_dir, store) = basics();
    let hits = find(&store, "烘烤变黄");
    assert_eq!(ids(&hits)[0], "yellowing", "{hits:#?}");
    let hits = find(&store, "变黄");
    assert_eq!(ids(&hits)[0], "yellowing", "{hits:#?}");
    assert_eq!(hits[0].title, "变黄期怎么烤");
    assert_eq!(hits[0].title_html, "<mark>变黄</mark>期怎么烤");
    assert_eq!(ids(&find(&store, "变黄期")[..1]), ["yellowing"]);
    assert_eq!(ids(&find(&store, "干湿球")[..1]), ["bulbs"]);
    assert_eq!(ids(&find(&store, "停电了怎么办")[..1]), ["outage"]);
    assert_eq!(ids(&find(&store, "烟叶成熟有什么特征")[..1]), ["ripeness"]);
}

#[test]
fn a_disease_in_the_text_is_found_and_marked_in_the_snippet() {
    let (_dir, store) = basics();
    let hits = find(&store, "赤星病");
    assert_eq!(ids(&hits), ["leaf-spot"], "{hits:#?}");
    assert!(
        hits[0].snippet_html.contains("<mark>赤星病</mark>"),
        "{hits:#?}"
    );
    assert!(
        !hits[0].snippet_html.contains('*'),
        "Markdown is stripped: {hits:#?}"
    );
    assert!(hits[0].snippet_html.chars().count() < 120);
}

#[test]
fn pinyin_and_initials_find_lessons() {
    let (_dir, store) = basics();
    for query in ["hongkao", "hk", "HongKao", "hong kao", "hongk"] {
        let hits = find(&store, query);
        let found = ids(&hits);
        for curing in ["yellowing", "fixing", "drying", "diagnosis"] {
            assert!(found.contains(&curing), "{query}: {found:?}");
        }
        // 烘烤 is a tag of these lessons (tags are not shown); as pinyin it is also marked in
        // the text, where initials are not searched.
        let marked = hits
            .iter()
            .any(|h| h.snippet_html.contains("<mark>烘烤</mark>"));
        assert_eq!(marked, query != "hk", "{query}: {hits:#?}");
    }
    for (query, marked) in [
        ("bianhuang", "<mark>变黄</mark>期怎么烤"),
        ("bh", "<mark>变黄</mark>期怎么烤"),
        ("bianhuan", "<mark>变黄</mark>期怎么烤"),
        ("bianhuangqi", "<mark>变黄期</mark>怎么烤"),
        ("bhq", "<mark>变黄期</mark>怎么烤"),
    ] {
        let hits = find(&store, query);
        assert_eq!(ids(&hits)[0], "yellowing", "{query}: {hits:#?}");
        assert_eq!(hits[0].title_html, marked, "{query}");
    }
    let hits = find(&store, "ganshiqiu");
    assert_eq!(ids(&hits)[0], "bulbs", "{hits:#?}");
    assert_eq!(hits[0].title_html, "看懂<mark>干湿球</mark>");
    // Initials count for titles and tags, not for lesson text.
    assert_eq!(ids(&find(&store, "csb")), Vec::<&str>::new());
    assert_eq!(ids(&find(&store, "chixingbing")), ["leaf-spot"]);
}

#[test]
fn mixed_and_english_queries() {
    let (_dir, store) = basics();
    assert_eq!(ids(&find(&store, "变黄qi")[..1]), ["yellowing"]);
    assert_eq!(ids(&find(&store, "dry bulb")[..1]), ["bulbs"]);
    // Full-width letters and digits read as ASCII.
    assert_eq!(ids(&find(&store, "ＨＫ")), ids(&find(&store, "hk")));
    assert!(ids(&find(&store, "７０℃")).contains(&"drying"));
}

#[test]
fn title_matches_rank_above_body_matches() {
    let (_dir, store) = basics();
    // 湿球 is in the title of "bulbs" and in the text of several others.
    let hits = find(&store, "湿球");
    assert!(hits.len() >= 3, "{hits:#?}");
    assert_eq!(hits[0].lesson_id, "bulbs", "{hits:#?}");
    // 定色期 is the title of "fixing" and text in "diagnosis".
    let hits = find(&store, "定色");
    assert_eq!(ids(&hits)[0], "fixing");
    assert!(ids(&hits).contains(&"diagnosis"));
    for pair in hits.windows(2) {
        assert!(pair[0].score >= pair[1].score, "{hits:#?}");
    }
}

#[test]
fn complete_matches_come_before_partial_ones() {
    let (_dir, store) = basics();
    // Only "yellowing" has both words; others have one of them.
    let hits = find(&store, "变黄 稳温");
    assert_eq!(ids(&hits)[0], "yellowing", "{hits:#?}");
    assert!(hits.len() > 1, "partial matches follow: {hits:#?}");
    // A word the segmenter does not know still finds its parts.
    let hits = find(&store, "烤青挂灰");
    assert!(ids(&hits).contains(&"diagnosis"), "{hits:#?}");
}

#[test]
fn hostile_queries_are_harmless() {
    let (_dir, store) = basics();
    let long = "烤".repeat(10_000);
    let longer = "a\"*(".repeat(3_000);
    for query in [
        "",
        "   ",
        "\"",
        "*",
        "AND",
        "OR",
        "NOT",
        "NEAR(",
        "NEAR(a b, 2)",
        "a OR",
        "'); DROP TABLE lessons;--",
        "title:变黄",
        "{title}: x",
        "^变黄",
        "-x +y",
        "😀",
        "🌿烟叶🔥",
        "\u{0}",
        long.as_str(),
        longer.as_str(),
    ] {
        let result = store.read(|c| search(c, query, 20));
        assert!(result.is_ok(), "{query:?}: {result:?}");
    }
    assert!(find(&store, "").is_empty());
    assert!(find(&store, " \t\n").is_empty());
    assert!(find(&store, "😀").is_empty());
    assert_eq!(find(&store, "🌿烟叶🔥"), find(&store, "烟叶"));
    assert!(!find(&store, "烟叶").is_empty());
    assert!(store.read(|c| search(c, "变黄", 0)).unwrap().is_empty());
    // Still there.
    assert_eq!(ids(&find(&store, "变黄")[..1]), ["yellowing"]);
}

#[test]
fn reindexing_replaces_removing_removes_and_packs_coexist() {
    let (_dir, store) = basics();
    let count = |q: &str| find(&store, q).len();
    assert_eq!(count("赤星病"), 1);
    index(&store, "basics", BASICS);
    index(&store, "basics", BASICS);
    assert_eq!(count("赤星病"), 1, "no duplicates after re-indexing");

    // A second pack with a lesson of the same id.
    let extra = [Lesson {
        id: "leaf-spot",
        zh: "赤星病防治",
        en: "Controlling brown spot",
        tags: &["病害"],
        markdown: "赤星病要在打顶后及时用药。",
    }];
    index(&store, "diseases", &extra);
    let hits = find(&store, "赤星病");
    assert_eq!(hits.len(), 2);
    assert_eq!(
        hits[0].pack_id, "diseases",
        "a title match first: {hits:#?}"
    );
    assert_eq!(hits[0].title_html, "<mark>赤星病</mark>防治");
    assert_eq!(hits[1].pack_id, "basics");

    // A new version of a pack drops lessons that are gone.
    index(&store, "basics", &BASICS[..2]);
    assert_eq!(ids(&find(&store, "赤星病")), ["leaf-spot"]);
    assert_eq!(find(&store, "赤星病")[0].pack_id, "diseases");
    let gone = find(&store, "看懂干湿球");
    assert!(!ids(&gone).contains(&"bulbs"), "{gone:#?}");

    store
        .write(|tx| -> Result<(), StoreError> { Ok(remove_pack(tx, "diseases")?) })
        .unwrap();
    assert!(find(&store, "赤星病").is_empty());
    assert_eq!(ids(&find(&store, "变黄")[..1]), ["yellowing"]);
    store
        .write(|tx| -> Result<(), StoreError> { Ok(remove_pack(tx, "basics")?) })
        .unwrap();
    assert!(find(&store, "烟叶").is_empty());
    let rows: i64 = store
        .read(|c| c.query_row("SELECT count(*) FROM lesson_search_docs", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn highlighting_escapes_html() {
    let (_dir, store) = open();
    let lesson = [Lesson {
        id: "html",
        zh: "<b>排湿</b> & 通风",
        en: "",
        tags: &[],
        markdown: "排湿时注意 <script>alert('排湿')</script> 不要 \"乱\" 开窗。",
    }];
    index(&store, "p", &lesson);
    let hits = find(&store, "排湿");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].title, "<b>排湿</b> & 通风");
    assert_eq!(
        hits[0].title_html,
        "&lt;b&gt;<mark>排湿</mark>&lt;/b&gt; &amp; 通风"
    );
    let snippet = &hits[0].snippet_html;
    assert!(
        snippet.contains("&lt;script&gt;alert(&#39;<mark>排湿</mark>&#39;)&lt;/script&gt;"),
        "{snippet}"
    );
    assert!(snippet.contains("&quot;乱&quot;"), "{snippet}");
    assert!(!snippet.contains("<script>") && !snippet.contains("<b>"));
}

#[test]
fn the_index_survives_reopening() {
    let dir = TempDir::new().unwrap();
    let before = {
        let store = Store::open_in_dir(dir.path()).unwrap();
        index(&store, "basics", BASICS);
        find(&store, "hk")
    };
    let store = Store::open_in_dir(dir.path()).unwrap();
    assert!(!before.is_empty());
    assert_eq!(find(&store, "hk"), before);
}
