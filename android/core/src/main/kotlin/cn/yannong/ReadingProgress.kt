package cn.yannong

import kotlin.math.roundToInt

/**
 * How far a lesson page has been read, from a scrolling view's numbers (a web view's scroll
 * position, its content height and its own height, all in the same pixels), for
 * [LessonLibrary.recordProgress]; and back, to reopen a lesson where the farmer left it.
 *
 * ```kotlin
 * val position = ReadingProgress.position(webView.scrollY, contentPx, webView.height)
 * library.recordProgress(lesson, position, completed = ReadingProgress.finished(position))
 * ```
 */
object ReadingProgress {

    /** From here on the end of the page counts as reached (the last lines are on screen). */
    const val FINISHED: Double = 0.98

    /**
     * 0 at the top, 1 at the bottom. A page that fits on the screen whole reads as 1; a page
     * not laid out yet (no content height) as 0.
     */
    fun position(scrollY: Int, contentHeight: Int, viewportHeight: Int): Double {
        if (contentHeight <= 0 || viewportHeight <= 0) return 0.0
        val scrollable = contentHeight - viewportHeight
        if (scrollable <= 0) return 1.0
        return (scrollY.toDouble() / scrollable).coerceIn(0.0, 1.0)
    }

    /** Whether [position] means the whole lesson was read. */
    fun finished(position: Double): Boolean = position >= FINISHED

    /** The scroll offset that shows [position] again (0 when the page fits on screen). */
    fun scrollY(position: Double, contentHeight: Int, viewportHeight: Int): Int {
        val scrollable = contentHeight - viewportHeight
        if (scrollable <= 0 || !position.isFinite()) return 0
        return (position.coerceIn(0.0, 1.0) * scrollable).roundToInt()
    }
}
