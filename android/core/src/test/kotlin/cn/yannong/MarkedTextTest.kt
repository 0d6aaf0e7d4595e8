package cn.yannong

import java.io.File
import java.util.Locale
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * [MarkedText]: the core's highlighted search HTML as text and ranges; the last test reads real
 * hits from the default lesson pack that `cargo xtask test` builds (as LessonsTest does).
 */
class MarkedTextTest {

    @Test
    fun marksAndEscapesAreUndone() {
        // What the core's highlighter writes for `<script>变黄</script> & "'` searched for 变黄
        // (core/src/lessons/search/highlight.rs, escapes_html).
        val marked = MarkedText.parse("&lt;script&gt;<mark>变黄</mark>&lt;/script&gt; &amp; &quot;&#39;")
        assertEquals("<script>变黄</script> & \"'", marked.text)
        assertEquals(listOf(8..9), marked.marks)
        assertEquals("变黄", marked.text.substring(marked.marks[0]))
    }

    @Test
    fun severalMarksKeepTheirOrder() {
        val marked = MarkedText.parse("<mark>变黄</mark>期怎么<mark>烤</mark>")
        assertEquals("变黄期怎么烤", marked.text)
        assertEquals(listOf(0..1, 5..5), marked.marks)
    }

    @Test
    fun plainTextAndOddInputStayText() {
        assertEquals(MarkedText("烘烤与变黄…", emptyList()), MarkedText.parse("烘烤与变黄…"))
        assertEquals(MarkedText("", emptyList()), MarkedText.parse(""))
        // A bare ampersand, an unknown entity and another tag are kept as they are.
        assertEquals("a & b &nope; <b>c</b>", MarkedText.parse("a & b &nope; <b>c</b>").text)
        // Numeric escapes, decimal and hex.
        assertEquals("'°", MarkedText.parse("&#39;&#xB0;").text)
        // An empty mark marks nothing; an unclosed one runs to the end.
        assertEquals(emptyList<IntRange>(), MarkedText.parse("<mark></mark>x").marks)
        assertEquals(listOf(1..2), MarkedText.parse("a<mark>bc").marks)
    }

    @Test
    fun realSearchHitsReadBackAsTheirTitles() = coTest {
        val pack = File(
            System.getProperty("yannong.testPack")?.takeIf { it.isNotBlank() }
                ?: throw AssertionError("system property yannong.testPack is not set; run `cargo xtask test`"),
        )
        val key = System.getProperty("yannong.testPackKey")
            ?: throw AssertionError("system property yannong.testPackKey is not set")
        withClient(Locale.SIMPLIFIED_CHINESE) { client ->
            client.lessons(listOf(key)).use { library ->
                library.installPack(pack)
                for (query in listOf("烘烤变黄", "hongkao", "hk")) {
                    val hits = library.search(query, 10)
                    assertFalse("no hits for $query", hits.isEmpty())
                    for (hit in hits) {
                        val title = MarkedText.parse(hit.titleHtml)
                        assertEquals(hit.title, title.text)
                        val snippet = MarkedText.parse(hit.snippetHtml)
                        assertFalse(snippet.text, "<mark>" in snippet.text || "&amp;" in snippet.text)
                        for (range in title.marks + snippet.marks) {
                            assertTrue("$range in ${hit.titleHtml} / ${hit.snippetHtml}", !range.isEmpty())
                        }
                    }
                    assertTrue(
                        "$query: something is marked",
                        hits.any { MarkedText.parse(it.titleHtml).marks.isNotEmpty() || MarkedText.parse(it.snippetHtml).marks.isNotEmpty() },
                    )
                }
            }
        }
    }
}
