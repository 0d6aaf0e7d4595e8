package cn.yannong

import cn.yannong.ffi.CureTimeline
import cn.yannong.ffi.RecipeSource
import java.time.Duration
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class CancellationTest {
    @Test
    fun cancellingAHeavyCurveStopsWaitingAndTheClientStillAnswers() = coTest {
        withClient { client ->
            val long = client.importRecipe(recipeJson("long-cure", LONG_STEPS))
            assertEquals(LONG_NOMINAL, long.nominalDuration)

            val outcome = AtomicReference("not started")
            val started = CompletableDeferred<Unit>()
            val job = launch(Dispatchers.Default) {
                started.complete(Unit)
                try {
                    // About 1.8 million points: seconds of work, far more than the wait below.
                    val curve = client.expectedCurve(CureTimeline.of("long-cure", START), Duration.ofSeconds(1))
                    outcome.set("finished with ${curve.points.size} points")
                } catch (e: CancellationException) {
                    outcome.set("cancelled")
                    throw e
                }
            }
            started.await()
            delay(10)
            val t0 = System.nanoTime()
            job.cancelAndJoin()
            val waitedMs = (System.nanoTime() - t0) / 1_000_000
            assertTrue("job ended: ${outcome.get()}", job.isCancelled)
            assertEquals("cancelled", outcome.get())
            assertTrue("cancelAndJoin took $waitedMs ms", waitedMs < 5_000)

            // The client still answers, with the right values.
            assertEquals(4, client.recipes().size)
            val small = client.expectedCurve(CureTimeline.of("long-cure", START), Duration.ofHours(1))
            assertEquals(504, small.points.size) // 503 whole hours: 0 h … 503 h
            assertEquals(START.plus(LONG_NOMINAL), small.end)
        }
    }

    @Test
    fun aCancelledWriteIsFinishedWhenTheJobIs() = coTest {
        withClient { client ->
            // Undispatched: the import has reached the core before `launch` returns.
            val job = launch(start = CoroutineStart.UNDISPATCHED) {
                client.importRecipe(recipeJson("written", SHORT_STEPS))
            }
            job.cancelAndJoin()
            val saved = client.recipe("written")
            assertEquals(RecipeSource.CUSTOM, saved.source)
        }
    }
}
