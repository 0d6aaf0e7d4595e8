//! Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps the points that shape a
//! line chart — spikes and dips survive — in O(n), so a phone draws 8 days of one-minute
//! readings as a few hundred points without losing the excursion that matters.

/// Indices of at most `threshold` points of `(x, y)` (x ascending) to draw, first and last
/// always included, in order. Returns every index when there are no more points than that.
pub fn lttb(points: &[(f64, f64)], threshold: usize) -> Vec<usize> {
    let n = points.len();
    if threshold >= n {
        return (0..n).collect();
    }
    if threshold < 3 {
        // Not enough for the buckets: the ends are what a chart needs most.
        return if threshold == 0 {
            vec![]
        } else if threshold == 1 {
            vec![0]
        } else {
            vec![0, n - 1]
        };
    }
    let mut out = Vec::with_capacity(threshold);
    out.push(0);
    // Points between the ends go into threshold − 2 buckets of equal width (in index).
    let every = (n - 2) as f64 / (threshold - 2) as f64;
    let mut a = 0;
    for i in 0..threshold - 2 {
        let start = (i as f64 * every) as usize + 1;
        let end = (((i + 1) as f64 * every) as usize + 1).min(n - 1);
        // The next bucket's average is the third corner of the triangle.
        let next_start = end;
        let next_end = (((i + 2) as f64 * every) as usize + 1).min(n);
        let span = &points[next_start..next_end.max(next_start + 1).min(n)];
        let (avg_x, avg_y) = span
            .iter()
            .fold((0.0, 0.0), |(sx, sy), p| (sx + p.0, sy + p.1));
        let len = span.len().max(1) as f64;
        let (avg_x, avg_y) = (avg_x / len, avg_y / len);
        let (ax, ay) = points[a];
        let mut best = start;
        let mut best_area = -1.0;
        for (j, &(x, y)) in points
            .iter()
            .enumerate()
            .take(end.max(start + 1))
            .skip(start)
        {
            let area = ((ax - avg_x) * (y - ay) - (ax - x) * (avg_y - ay)).abs();
            if area > best_area {
                best_area = area;
                best = j;
            }
        }
        out.push(best);
        a = best;
    }
    out.push(n - 1);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_spike_survives() {
        let mut pts: Vec<(f64, f64)> = (0..12_000).map(|i| (i as f64, 38.0)).collect();
        pts[7_777].1 = 55.0;
        let idx = lttb(&pts, 500);
        assert_eq!(idx.len(), 500);
        assert!(idx.contains(&7_777));
    }

    #[test]
    fn small_inputs_and_thresholds() {
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(lttb(&pts, 20), (0..10).collect::<Vec<_>>());
        assert_eq!(lttb(&pts, 0), Vec::<usize>::new());
        assert_eq!(lttb(&pts, 1), vec![0]);
        assert_eq!(lttb(&pts, 2), vec![0, 9]);
        assert!(lttb(&[], 5).is_empty());
        // Fewer points than buckets need, but still more than asked for.
        assert_eq!(lttb(&pts[..2], 0), Vec::<usize>::new());
        assert_eq!(lttb(&pts[..2], 1), vec![0]);
    }

    proptest! {
        #[test]
        fn output_is_an_ordered_subsequence_with_both_ends(
            ys in proptest::collection::vec(-50.0f64..150.0, 0..800),
            threshold in 0usize..300,
            dup in any::<bool>(),
        ) {
            // Equal timestamps must not break it either.
            let pts: Vec<(f64, f64)> = ys.iter().enumerate()
                .map(|(i, y)| (if dup { (i / 3) as f64 } else { i as f64 }, *y)).collect();
            let idx = lttb(&pts, threshold);
            prop_assert_eq!(idx.len(), threshold.min(pts.len()));
            prop_assert!(idx.windows(2).all(|w| w[0] < w[1]));
            if idx.len() >= 2 {
                prop_assert_eq!(idx[0], 0);
                prop_assert_eq!(*idx.last().unwrap(), pts.len() - 1);
            }
        }
    }
}
