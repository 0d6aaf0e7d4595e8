//! The changes feed: one page of everything a user may see that changed after a cursor.
//!
//! A page ends at a change number `hi` chosen so it holds at most `limit` readings (readings
//! dominate; barns, curings and image metadata come along whole up to `hi`). A user whose set
//! of barns changed after their cursor gets a page from the beginning with `reset`, since rows
//! of a newly assigned barn carry change numbers older than the cursor.

use rusqlite::{Connection, params};
use yannong_core::Timestamp;
use yannong_core::barn::api::{Barn, BarnId, ChangesPage, ImageMeta, ReadingBlock, User};

use super::codec::{
    BARN_SELECT, IMAGE_COLUMNS, VISIBLE, barn_from_row, collect, image_from_row, role_key,
};
use super::{Cursor, StoreResult, curings, readings, users};

/// Up to this many visible barns, pages are cut from per-barn index ranges; above, by
/// walking the global change-number index.
const PER_BARN_SCAN: usize = 4;

pub(super) fn page(
    c: &Connection,
    user: &User,
    cursor: Cursor,
    limit: usize,
) -> StoreResult<ChangesPage> {
    let limit = limit.max(1);
    let view: i64 = c.query_row(
        "SELECT coalesce(max(seq), 0) FROM view_changes WHERE user_id = ?1",
        [user.id.0],
        |r| r.get(0),
    )?;
    let reset = cursor.seq > 0 && view > cursor.view;
    let after = if reset { 0 } else { cursor.seq };
    let head: i64 = c.query_row("SELECT value FROM change_seq WHERE id = 1", [], |r| {
        r.get(0)
    })?;

    let visible: Vec<BarnId> = users::visible_barns(c, user, None)?
        .iter()
        .map(|b| b.id)
        .collect();
    let nth = if visible.len() <= PER_BARN_SCAN {
        // Few barns (a farmer): their own index ranges, merged.
        let mut seqs = Vec::new();
        for &b in &visible {
            seqs.extend(readings::seqs_after(c, b, after, limit + 1)?);
        }
        (seqs.len() > limit).then(|| *seqs.select_nth_unstable(limit - 1).1)
    } else if readings::nth_visible_seq(c, user, after, limit + 1)?.is_some() {
        readings::nth_visible_seq(c, user, after, limit)?
    } else {
        None
    };
    let (hi, more) = match nth {
        Some(hi) => (hi, true),
        None => (head, false),
    };

    let mut blocks = Vec::new();
    for &b in &visible {
        let rs = readings::changed(c, b, after, hi)?;
        if !rs.is_empty() {
            blocks.push(ReadingBlock::encode(b, &rs));
        }
    }
    Ok(ChangesPage {
        cursor: Cursor {
            seq: hi,
            view: view.max(cursor.view),
        }
        .to_string(),
        more,
        reset,
        server_time: Timestamp::now(),
        barns: changed_barns(c, user, after, hi)?,
        curings: curings::changed(c, &visible, after, hi)?,
        readings: blocks,
        images: changed_images(c, &visible, after, hi)?,
    })
}

fn changed_barns(c: &Connection, user: &User, after: i64, upto: i64) -> StoreResult<Vec<Barn>> {
    let mut stmt = c.prepare_cached(&format!(
        "{BARN_SELECT} WHERE ({VISIBLE}) AND b.seq > :after AND b.seq <= :upto ORDER BY b.id"
    ))?;
    let rows = stmt.query(rusqlite::named_params! {
        ":role": role_key(user.role),
        ":uid": user.id.0,
        ":after": after,
        ":upto": upto,
    })?;
    collect(rows, barn_from_row)
}

fn changed_images(
    c: &Connection,
    visible: &[BarnId],
    after: i64,
    upto: i64,
) -> StoreResult<Vec<ImageMeta>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {IMAGE_COLUMNS} FROM images WHERE barn_id = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY seq"
    ))?;
    let mut out = Vec::new();
    for b in visible {
        out.extend(collect(
            stmt.query(params![b.0, after, upto])?,
            image_from_row,
        )?);
    }
    Ok(out)
}
