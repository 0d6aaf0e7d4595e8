package cn.yannong

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

/** [ReadingProgress]: a reader's scroll position as lesson progress and back. */
class ReadingProgressTest {

    @Test
    fun topMiddleAndBottomOfALongPage() {
        // 3000 px of lesson in a 1000 px view: 2000 px to scroll.
        assertEquals(0.0, ReadingProgress.position(0, 3000, 1000), 0.0)
        assertEquals(0.5, ReadingProgress.position(1000, 3000, 1000), 0.0)
        assertEquals(1.0, ReadingProgress.position(2000, 3000, 1000), 0.0)
        // Overscroll and bounce stay within 0–1.
        assertEquals(1.0, ReadingProgress.position(2100, 3000, 1000), 0.0)
        assertEquals(0.0, ReadingProgress.position(-40, 3000, 1000), 0.0)
    }

    @Test
    fun theEndCountsAsReadJustBeforeTheLastPixel() {
        assertFalse(ReadingProgress.finished(ReadingProgress.position(1900, 3000, 1000)))
        assertTrue(ReadingProgress.finished(ReadingProgress.position(1970, 3000, 1000)))
        assertTrue(ReadingProgress.finished(1.0))
    }

    @Test
    fun aShortPageIsReadOnceShownAndAPageNotLaidOutIsNot() {
        assertEquals(1.0, ReadingProgress.position(0, 800, 1000), 0.0)
        assertEquals(0.0, ReadingProgress.position(0, 0, 1000), 0.0)
        assertEquals(0.0, ReadingProgress.position(0, 3000, 0), 0.0)
    }

    @Test
    fun aSavedPositionScrollsBackToTheSamePlace() {
        for (scrollY in listOf(0, 1, 999, 1000, 1999, 2000)) {
            val position = ReadingProgress.position(scrollY, 3000, 1000)
            assertEquals(scrollY, ReadingProgress.scrollY(position, 3000, 1000))
        }
        // Out-of-range or odd values (as a damaged record might hold) land on the page.
        assertEquals(2000, ReadingProgress.scrollY(1.7, 3000, 1000))
        assertEquals(0, ReadingProgress.scrollY(Double.NaN, 3000, 1000))
        assertEquals(0, ReadingProgress.scrollY(0.5, 800, 1000))
    }
}
