package cn.yannong

import cn.yannong.ffi.BarnChartPoint
import cn.yannong.ffi.BarnCuring
import cn.yannong.ffi.BarnCurve
import cn.yannong.ffi.BarnExcursion
import cn.yannong.ffi.CureTimeline
import cn.yannong.ffi.CurveKnot
import cn.yannong.ffi.CuringStage
import cn.yannong.ffi.ExpectedCurve
import cn.yannong.ffi.LeafPosition
import cn.yannong.ffi.LocalizedText
import cn.yannong.ffi.StepWindow
import java.time.Duration
import java.time.Instant
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** [CurveChart]: a barn's curve scaled into canvas pixels. */
class CurveChartTest {
    private val eps = 1e-3f

    private fun at(h: Double): Instant = START.plusMillis((h * 3_600_000).toLong())

    private fun knot(h: Double, dry: Double, wet: Double) = CurveKnot(time = at(h), dryBulbC = dry, wetBulbC = wet)

    private fun measured(h: Double, dry: Double, wet: Double, within: Boolean) = BarnChartPoint(
        time = at(h),
        dryBulbC = dry,
        wetBulbC = wet,
        dryDeltaC = null,
        wetDeltaC = null,
        step = 0u,
        withinTolerance = within,
    )

    private fun step(index: Int, code: String, startH: Double, endH: Double) = StepWindow(
        index = index.toUInt(),
        code = code,
        stage = CuringStage.YELLOWING,
        start = at(startH),
        rampEnd = at(startH),
        end = at(endH),
        endEarliest = at(endH),
        endLatest = at(endH),
        advanced = false,
    )

    private fun curve(
        expected: ExpectedCurve,
        points: List<BarnChartPoint> = emptyList(),
        excursions: List<BarnExcursion> = emptyList(),
    ) = BarnCurve(
        curing = BarnCuring(
            id = 1L,
            recipeId = expected.recipeId,
            recipeName = LocalizedText(zh = "中部叶", en = "Middle leaves", text = "中部叶"),
            position = LeafPosition.MIDDLE,
            startedAt = expected.start,
            currentStep = 0u,
            finishedAt = null,
        ),
        expected = expected,
        measured = points,
        readings = points.size.toUInt(),
        excursions = excursions,
        dryToleranceC = 2.0,
        wetToleranceC = 1.5,
    )

    /** Ramp 25 → 35 °C in 10 h, hold to 20 h; the slowest hold ends at 26 h. */
    private val small = ExpectedCurve(
        recipeId = "test",
        start = START,
        end = at(20.0),
        points = emptyList(),
        nominal = listOf(knot(0.0, 25.0, 23.5), knot(10.0, 35.0, 33.5), knot(20.0, 35.0, 33.5)),
        fastest = listOf(knot(0.0, 25.0, 23.5), knot(10.0, 35.0, 33.5), knot(14.0, 35.0, 33.5)),
        slowest = listOf(knot(0.0, 25.0, 23.5), knot(10.0, 35.0, 33.5), knot(26.0, 35.0, 33.5)),
        steps = listOf(step(0, "Y1", 0.0, 10.0), step(1, "Y2", 10.0, 20.0)),
    )

    @Test
    fun timeAndTemperatureFillThePlot() {
        val chart = CurveChart.layout(
            curve(
                small,
                points = listOf(
                    measured(2.0, 27.0, 25.0, within = true),
                    measured(4.0, 33.0, 27.0, within = false),
                    measured(8.0, 33.0, 31.0, within = true),
                ),
                excursions = listOf(BarnExcursion(at(3.0), at(5.0), 0u, "Y1", 4.0, -2.0)),
            ),
            width = 1000f,
            height = 500f,
        )
        val area = chart.area
        assertEquals(ChartArea(48f, 12f, 988f, 472f), area)
        // 23.5–35 °C widened to whole multiples of 5.
        assertEquals(20.0, chart.minC, 0.0)
        assertEquals(35.0, chart.maxC, 0.0)

        // The start is at the left, the slowest curve's end (26 h, later than the nominal end)
        // at the right; 35 °C, the top of the range, at the top.
        assertEquals(area.left, chart.expectedDry.first().x, eps)
        assertEquals(area.bottom - 5f / 15f * area.height, chart.expectedDry.first().y, eps)
        assertEquals(area.left + 10f / 26f * area.width, chart.expectedDry[1].x, eps)
        assertEquals(area.top, chart.expectedDry[1].y, eps)
        assertEquals(chart.yOf(33.5), chart.expectedWet[1].y, eps)

        // The band: fastest forwards, then slowest backwards, closing at the start.
        assertEquals(6, chart.dryBand.size)
        assertEquals(ChartPoint(area.right, area.top), chart.dryBand[3])
        assertEquals(chart.dryBand.first(), chart.dryBand.last())

        assertEquals(3, chart.measuredDry.size)
        assertEquals(3, chart.measuredWet.size)
        assertEquals(listOf(ChartPoint(chart.xOf(at(4.0)), chart.yOf(33.0))), chart.offCurve)
        assertEquals(1, chart.excursions.size)
        assertEquals(chart.xOf(at(3.0)), chart.excursions[0].start, eps)
        assertEquals(chart.xOf(at(5.0)), chart.excursions[0].endInclusive, eps)

        assertEquals(listOf("Y1", "Y2"), chart.steps.map { it.label })
        assertEquals(area.left, chart.steps[0].position, eps)
        assertEquals(chart.xOf(at(10.0)), chart.steps[1].position, eps)

        assertEquals(listOf("20°", "25°", "30°", "35°"), chart.temperatureTicks.map { it.label })
        assertEquals(area.bottom, chart.temperatureTicks.first().position, eps)
        assertEquals(area.top, chart.temperatureTicks.last().position, eps)
        // 26 h in at most eight steps: every 6 h.
        assertEquals(listOf("0h", "6h", "12h", "18h", "24h"), chart.timeTicks.map { it.label })
        assertEquals(area.left, chart.timeTicks.first().position, eps)
        assertEquals(chart.xOf(at(24.0)), chart.timeTicks.last().position, eps)
    }

    @Test
    fun aCureRunningLateWidensTheTimeAxis() {
        // Readings 40 h in, well past the slowest end (26 h): the newest one is at the right.
        val chart = CurveChart.layout(
            curve(small, points = listOf(measured(40.0, 36.0, 34.0, within = false))),
            width = 400f,
            height = 300f,
        )
        assertEquals(chart.area.right, chart.measuredDry.single().x, eps)
        assertTrue(chart.xOf(at(26.0)) < chart.area.right)
    }

    @Test
    fun aNarrowRangeIsWidenedToTenDegrees() {
        val flat = small.copy(
            nominal = listOf(knot(0.0, 38.0, 36.0), knot(10.0, 38.0, 36.0)),
            fastest = emptyList(),
            slowest = emptyList(),
        )
        val chart = CurveChart.layout(curve(flat), width = 400f, height = 300f)
        assertEquals(35.0, chart.minC, 0.0)
        assertEquals(45.0, chart.maxC, 0.0)
        // Without both extreme curves there is no band to shade.
        assertTrue(chart.dryBand.isEmpty())
    }

    @Test
    fun theCoresExpectedCurveStaysInsideThePlot() = coTest {
        withClient { client ->
            val expected = client.expectedCurve(CureTimeline.of("middle", START), Duration.ofHours(1))
            val chart = CurveChart.layout(curve(expected), width = 720f, height = 360f)
            val area = chart.area
            val drawn = chart.expectedDry + chart.expectedWet + chart.dryBand
            for (p in drawn) {
                assertTrue("$p", p.x >= area.left - eps && p.x <= area.right + eps)
                assertTrue("$p", p.y >= area.top - eps && p.y <= area.bottom + eps)
            }
            assertEquals(area.left, chart.expectedDry.first().x, eps)
            assertEquals(area.right, drawn.maxOf { it.x }, eps)
            // 25 °C (start) to 67 °C (stem drying) with whole-5 bounds; a range over 40 °C
            // gets a gridline every 10 °C.
            assertTrue(chart.minC <= 23.5 && chart.minC % 5.0 == 0.0)
            assertTrue(chart.maxC >= 67.0 && chart.maxC % 5.0 == 0.0)
            val degrees = chart.temperatureTicks.map { it.label.removeSuffix("°").toInt() }
            assertTrue("$degrees", degrees.zipWithNext().all { (a, b) -> b - a == 10 })
            assertEquals(expected.steps.map { it.code }, chart.steps.map { it.label })
            // A whole cure (over 150 h) gets gridlines at most every 48 h, at least three.
            assertTrue(chart.timeTicks.size in 3..9)
        }
    }

    @Test(expected = IllegalArgumentException::class)
    fun marginsWiderThanTheCanvasAreRefused() {
        CurveChart.layout(curve(small), width = 40f, height = 300f)
    }
}
