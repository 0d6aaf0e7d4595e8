package cn.yannong

import cn.yannong.ffi.LogLevel
import cn.yannong.ffi.LogRecord
import java.util.Collections
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

class YannongLogTest {
    private fun List<LogRecord>.saved() = synchronized(this) {
        filter { it.message.startsWith("custom recipe saved") }
    }

    private fun collector() = Collections.synchronizedList(mutableListOf<LogRecord>())

    @After
    fun uninstall() = YannongLog.uninstall()

    @Test
    fun handlerReceivesTheCoresInfoLines() = coTest {
        withClient { client ->
            val got = collector()
            YannongLog.install(LogLevel.INFO) { got += it }
            client.importRecipe(recipeJson("logged", SHORT_STEPS))
            // The core logs before the import returns, on its own thread.
            val saved = got.saved()
            assertEquals(got.toString(), 1, saved.size)
            assertEquals(LogLevel.INFO, saved[0].level)
            assertEquals("custom recipe saved id=logged steps=3", saved[0].message)
            assertTrue(saved[0].target, saved[0].target.startsWith("yannong_core"))
            assertEquals(4, LogLevel.INFO.androidPriority)
        }
    }

    @Test
    fun levelFiltersAndUninstallStops() = coTest {
        withClient { client ->
            val warnOnly = collector()
            YannongLog.install(LogLevel.WARN) { warnOnly += it }
            client.importRecipe(recipeJson("quiet", SHORT_STEPS))
            assertTrue(warnOnly.toString(), warnOnly.saved().isEmpty())

            val replaced = collector()
            val current = collector()
            YannongLog.install(LogLevel.INFO) { replaced += it }
            YannongLog.install(LogLevel.INFO) { current += it }
            client.importRecipe(recipeJson("quiet", SHORT_STEPS))
            assertTrue(replaced.toString(), replaced.saved().isEmpty())
            assertEquals(1, current.saved().size)

            YannongLog.uninstall()
            client.importRecipe(recipeJson("quiet", SHORT_STEPS))
            assertEquals(1, current.saved().size)
        }
    }

    @Test
    fun aThrowingHandlerDoesNotFailTheCall() = coTest {
        withClient { client ->
            var calls = 0
            YannongLog.install(LogLevel.INFO) {
                calls++
                throw IllegalStateException("handler bug")
            }
            val saved = client.importRecipe(recipeJson("still-saved", SHORT_STEPS))
            assertEquals("still-saved", saved.id)
            assertTrue(calls >= 1)
            assertEquals("still-saved", client.recipe("still-saved").id)
        }
    }

    @Test
    fun recordsFlowDeliversLinesAndEndsWhenReplaced() = coTest {
        withClient { client ->
            val received = Channel<LogRecord>(Channel.UNLIMITED)
            val flowJob = launch {
                YannongLog.records(LogLevel.INFO).collect { received.send(it) }
            }
            // The sink is installed once the flow's producer has run; import until a line
            // arrives instead of guessing when that is.
            val first = withTimeout(20_000) {
                var line: LogRecord? = null
                while (line == null) {
                    client.importRecipe(recipeJson("flowed", SHORT_STEPS))
                    line = withTimeoutOrNull(100) {
                        var r = received.receive()
                        while (!r.message.startsWith("custom recipe saved")) r = received.receive()
                        r
                    }
                }
                line
            }
            assertEquals("custom recipe saved id=flowed steps=3", first.message)
            assertEquals(LogLevel.INFO, first.level)

            // Installing a handler replaces the flow's sink and completes the flow.
            val handled = collector()
            YannongLog.install(LogLevel.INFO) { handled += it }
            withTimeout(10_000) { flowJob.join() }
            assertFalse("completed, not cancelled", flowJob.isCancelled)
            client.importRecipe(recipeJson("flowed", SHORT_STEPS))
            assertEquals(1, handled.saved().size)
        }
    }
}
