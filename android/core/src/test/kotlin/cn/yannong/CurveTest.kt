package cn.yannong

import cn.yannong.ffi.CureTimeline
import cn.yannong.ffi.CuringStage
import cn.yannong.ffi.Reading
import cn.yannong.ffi.YannongException
import java.time.Duration
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class CurveTest {
    private val eps = 1e-9

    @Test
    fun hourlyCurveOfTheMiddleRecipe() = coTest {
        withClient { client ->
            val recipe = client.recipe("middle")
            val curve = client.expectedCurve(CureTimeline.of("middle", START), Duration.ofHours(1))
            assertEquals("middle", curve.recipeId)
            assertEquals(START, curve.start)
            val span = Duration.between(curve.start, curve.end)
            assertTrue("span $span", span.minus(recipe.nominalDuration).abs() <= Duration.ofSeconds(1))

            // Sampled from start to end, both included: a point every hour, plus the end when
            // the span is not whole hours (core/src/curing/curve.rs `sample`).
            val hour = Duration.ofHours(1).toMillis()
            val whole = span.toMillis() / hour
            val expectedPoints = if (span.toMillis() % hour == 0L) whole + 1 else whole + 2
            assertEquals(expectedPoints.toInt(), curve.points.size)
            assertEquals(159, curve.points.size) // 157.5 h: 0 h … 157 h, then 157.5 h
            curve.points.dropLast(1).forEachIndexed { i, p ->
                assertEquals(START.plus(hours(i.toLong())), p.time)
            }
            assertEquals(curve.end, curve.points.last().time)

            // Ramp from the default ambient 25 °C (wet bulb keeps the first step's 1.5 °C
            // depression) at 1 °C/h to 35/33.5 °C, reached after 10 h.
            val first = curve.points.first()
            assertEquals(START, first.time)
            assertEquals(25.0, first.dryBulbC, eps)
            assertEquals(23.5, first.wetBulbC, eps)
            assertEquals(0u, first.step)
            assertEquals(27.0, curve.points[2].dryBulbC, eps)
            assertEquals(25.5, curve.points[2].wetBulbC, eps)
            assertEquals(35.0, curve.points[12].dryBulbC, eps)
            assertEquals(33.5, curve.points[12].wetBulbC, eps)
            val last = curve.points.last()
            assertEquals(67.0, last.dryBulbC, eps)
            assertEquals(42.0, last.wetBulbC, eps)
            assertEquals(6u, last.step)

            assertEquals(7, curve.steps.size)
            val y0 = curve.steps.first()
            assertEquals("Y0", y0.code)
            assertEquals(CuringStage.YELLOWING, y0.stage)
            assertEquals(START, y0.start)
            assertEquals(START.plus(hours(10)), y0.rampEnd)
            assertEquals(START.plus(hours(18)), y0.end)
            assertEquals(START.plus(hours(14)), y0.endEarliest)
            assertEquals(START.plus(hours(26)), y0.endLatest)
            assertFalse(y0.advanced)
            assertEquals(START, curve.nominal.first().time)
            assertEquals(curve.end, curve.nominal.last().time)
            assertTrue(curve.fastest.last().time < curve.end)
            assertTrue(curve.slowest.last().time > curve.end)
        }
    }

    @Test
    fun ambientAndStepAdvancesShapeTheCurve() = coTest {
        withClient { client ->
            val nominal = client.recipe("middle").nominalDuration
            // Step 0 advanced after 12 h: its ramp took 10 h, so its hold was 2 h instead of 8.
            val timeline = CureTimeline.of(
                "middle", START, ambientC = 30.0, stepAdvances = listOf(START.plus(hours(12))),
            )
            val curve = client.expectedCurve(timeline, Duration.ofMinutes(30))
            assertEquals(30.0, curve.points.first().dryBulbC, eps)
            assertEquals(28.5, curve.points.first().wetBulbC, eps)
            val y0 = curve.steps[0]
            assertTrue(y0.advanced)
            // From 30 °C the ramp to 35 °C takes 5 h.
            assertEquals(START.plus(hours(5)), y0.rampEnd)
            assertEquals(START.plus(hours(12)), y0.end)
            assertEquals(y0.end, y0.endEarliest)
            assertEquals(y0.end, y0.endLatest)
            assertEquals(y0.end, curve.steps[1].start)
            assertFalse(curve.steps[1].advanced)
            // Step 0 ended at 12 h instead of the nominal 18 h; later steps are unchanged.
            val span = Duration.between(curve.start, curve.end)
            val expected = nominal.minus(hours(6))
            assertTrue("span $span", span.minus(expected).abs() <= Duration.ofSeconds(1))
        }
    }

    @Test
    fun resolutionBelowOneSecondIsRefused() = coTest {
        withClient { client ->
            val timeline = CureTimeline.of("middle", START)
            for (resolution in listOf(Duration.ofMillis(500), Duration.ZERO, Duration.ofSeconds(-5))) {
                val e = expectThrows<YannongException.InvalidInput> {
                    client.expectedCurve(timeline, resolution)
                }
                assertEquals("resolution $resolution", "resolution", e.field)
                assertEquals("curve resolution must be at least one second", e.detail)
            }
        }
    }

    @Test
    fun advancesOutOfOrderAreRefused() = coTest {
        withClient { client ->
            val timeline = CureTimeline.of(
                "middle", START, stepAdvances = listOf(START.plus(hours(10)), START.plus(hours(5))),
            )
            val e = expectThrows<YannongException.InvalidInput> {
                client.expectedCurve(timeline, Duration.ofHours(1))
            }
            assertEquals("step_advances", e.field)
            assertNull(e.step)
        }
    }

    @Test
    fun deviationsOfReadingsAgainstTheCurve() = coTest {
        withClient { client ->
            val timeline = CureTimeline.of("middle", START)
            // Expected at 2 h: 27/25.5 °C; at 4 h: 29/27.5 °C (first ramp, 1 °C/h).
            val readings = listOf(
                Reading(START.plus(hours(2)), 30.0, 25.5), // 3 °C too hot
                Reading(START.plus(hours(4)), 29.5, 27.5), // within ±2 °C
                Reading(START.minus(hours(1)), 25.0, 23.0), // before the start
                Reading(START.plus(hours(5)), Double.NaN, 28.0), // impossible value
            )
            val report = client.deviations(timeline, readings)
            assertEquals(2u, report.skipped)
            assertEquals(2, report.readings.size)

            val hot = report.readings[0]
            assertEquals(START.plus(hours(2)), hot.time)
            assertEquals(0u, hot.step)
            assertEquals(27.0, hot.expectedDryBulbC, eps)
            assertEquals(25.5, hot.expectedWetBulbC, eps)
            assertEquals(3.0, hot.dryBulbDeltaC, eps)
            assertEquals(0.0, hot.wetBulbDeltaC, eps)
            assertFalse(hot.withinTolerance)
            assertTrue(report.readings[1].withinTolerance)
            assertEquals(0.5, report.readings[1].dryBulbDeltaC, eps)

            assertEquals(7, report.steps.size)
            val y0 = report.steps[0]
            assertEquals("Y0", y0.code)
            assertEquals(2u, y0.readings)
            assertEquals(1.75, y0.dryBulbMeanC!!, eps)
            assertEquals(3.0, y0.dryBulbMaxAbsC!!, eps)
            assertEquals(0.5, y0.withinToleranceShare!!, eps)
            assertEquals(0u, report.steps[1].readings)
            assertNull(report.steps[1].dryBulbMeanC)
        }
    }
}
