package cn.yannong

import cn.yannong.ffi.LessonSearchHit

/**
 * A lesson search hit's `titleHtml` or `snippetHtml` ([LessonSearchHit]) as plain text plus
 * the ranges the search matched, for a UI that styles ranges itself (a Compose
 * `AnnotatedString`, an Android `Spannable`) instead of rendering HTML.
 *
 * ```kotlin
 * val marked = MarkedText.parse(hit.snippetHtml)
 * val text = buildAnnotatedString {
 *     append(marked.text)
 *     marked.marks.forEach { addStyle(highlight, it.first, it.last + 1) }
 * }
 * ```
 *
 * @property text the text with its HTML escapes undone.
 * @property marks the matched ranges of [text] (inclusive indices), in order, not overlapping.
 */
data class MarkedText(val text: String, val marks: List<IntRange>) {

    companion object {
        private const val OPEN = "<mark>"
        private const val CLOSE = "</mark>"

        /** The escapes the core writes (`&amp; &lt; &gt; &quot; &#39;`) and two HTML spells. */
        private val NAMED = mapOf("amp" to "&", "lt" to "<", "gt" to ">", "quot" to "\"", "apos" to "'", "nbsp" to "\u00A0")

        /**
         * Reads the core's highlighted HTML: text escaped as HTML, matches wrapped in
         * `<mark>…</mark>`. Anything else it meets (another tag, a bare `&`) is kept as text,
         * and a `<mark>` left open runs to the end.
         */
        fun parse(html: String): MarkedText {
            val text = StringBuilder(html.length)
            val marks = mutableListOf<IntRange>()
            var markStart = -1
            var i = 0
            while (i < html.length) {
                when {
                    html.startsWith(OPEN, i) -> {
                        if (markStart < 0) markStart = text.length
                        i += OPEN.length
                    }
                    html.startsWith(CLOSE, i) -> {
                        if (markStart in 0 until text.length) marks += markStart until text.length
                        markStart = -1
                        i += CLOSE.length
                    }
                    html[i] == '&' -> {
                        val end = html.indexOf(';', i)
                        val decoded = if (end > i) decode(html.substring(i + 1, end)) else null
                        if (decoded == null) {
                            text.append('&')
                            i += 1
                        } else {
                            text.append(decoded)
                            i = end + 1
                        }
                    }
                    else -> {
                        text.append(html[i])
                        i += 1
                    }
                }
            }
            if (markStart in 0 until text.length) marks += markStart until text.length
            return MarkedText(text.toString(), marks)
        }

        /** The text of an entity's name (`amp`, `#39`, `#x27`), or `null` if it is not one. */
        private fun decode(name: String): String? {
            NAMED[name]?.let { return it }
            if (name.length < 2 || name[0] != '#') return null
            val code = if (name[1] == 'x' || name[1] == 'X') {
                name.substring(2).toIntOrNull(16)
            } else {
                name.substring(1).toIntOrNull()
            } ?: return null
            return if (Character.isValidCodePoint(code)) String(Character.toChars(code)) else null
        }
    }
}
