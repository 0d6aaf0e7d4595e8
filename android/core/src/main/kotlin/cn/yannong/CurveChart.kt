package cn.yannong

import cn.yannong.ffi.BarnCurve
import cn.yannong.ffi.CurveKnot
import java.time.Instant
import kotlin.math.ceil
import kotlin.math.floor

/** A point on a chart in the canvas's pixels: x to the right, y downwards. */
data class ChartPoint(val x: Float, val y: Float)

/** A label at [position] along an axis, in pixels: x for time, y for temperature. */
data class ChartTick(val position: Float, val label: String)

/** The plot inside the chart's margins, in pixels. */
data class ChartArea(val left: Float, val top: Float, val right: Float, val bottom: Float) {
    val width: Float get() = right - left
    val height: Float get() = bottom - top
}

/**
 * A barn's curing chart ([BarnCurve], from `BarnMonitor.curve`) scaled into a canvas of
 * `width × height` pixels, ready for any drawing API (Compose `Canvas`, `android.graphics`):
 * lists of points to join with lines, spans to shade, ticks to label. Nothing here needs
 * Android, so the scaling is tested on the plain JVM.
 *
 * Time runs left to right from the cure's start to whichever is last: the slowest curve the
 * recipe allows, the expected end or the newest measured point. Temperatures run bottom to
 * top over every value drawn, widened to whole multiples of 5 °C and at least 10 °C.
 *
 * ```kotlin
 * val chart = CurveChart.layout(curve, size.width, size.height)
 * drawPath(polygon(chart.dryBand), bandColour)                 // what the recipe allows
 * drawPath(polyline(chart.expectedDry), expectedColour)
 * drawPath(polyline(chart.measuredDry), measuredColour)
 * chart.offCurve.forEach { drawCircle(warningColour, 4f, Offset(it.x, it.y)) }
 * ```
 */
class CurveChart private constructor(
    /** Where the plot is; ticks and step labels go outside or along its edges. */
    val area: ChartArea,
    private val start: Instant,
    private val end: Instant,
    /** Bottom and top of the temperature axis, °C. */
    val minC: Double,
    val maxC: Double,
    curve: BarnCurve,
) {
    /** The recipe's nominal dry-bulb curve, through its exact knots. */
    val expectedDry: List<ChartPoint> = curve.expected.nominal.map { ChartPoint(xOf(it.time), yOf(it.dryBulbC)) }

    /** The recipe's nominal wet-bulb curve. */
    val expectedWet: List<ChartPoint> = curve.expected.nominal.map { ChartPoint(xOf(it.time), yOf(it.wetBulbC)) }

    /**
     * The dry-bulb band between the fastest and the slowest curve the recipe's holds allow, as
     * one closed polygon (fastest forwards, slowest backwards); empty without both.
     */
    val dryBand: List<ChartPoint> = band(curve.expected.fastest, curve.expected.slowest)

    /** The measured dry bulb, in time order (downsampled by the core). */
    val measuredDry: List<ChartPoint> = curve.measured.map { ChartPoint(xOf(it.time), yOf(it.dryBulbC)) }

    /** The measured wet bulb. */
    val measuredWet: List<ChartPoint> = curve.measured.map { ChartPoint(xOf(it.time), yOf(it.wetBulbC)) }

    /** Measured dry-bulb points outside the tolerance around the expected curve, to mark. */
    val offCurve: List<ChartPoint> =
        curve.measured.filter { !it.withinTolerance }.map { ChartPoint(xOf(it.time), yOf(it.dryBulbC)) }

    /** The stretches off the expected curve (found on every reading), as x ranges to shade. */
    val excursions: List<ClosedFloatingPointRange<Float>> =
        curve.excursions.map { xOf(it.from)..xOf(it.to) }

    /** Where each recipe step starts, labelled with its code ("Y1", "F2", ...). */
    val steps: List<ChartTick> = curve.expected.steps.map { ChartTick(xOf(it.start), it.code) }

    /** Temperature gridlines (y), every 5 °C or, on a tall range, every 10 °C: "40°". */
    val temperatureTicks: List<ChartTick>

    /** Time gridlines (x) in hours since the start, at most about eight: "24h". */
    val timeTicks: List<ChartTick>

    init {
        val stepC = if ((maxC - minC) / 5.0 <= MAX_TICKS) 5.0 else 10.0
        temperatureTicks = generateSequence(ceil(minC / stepC) * stepC) { it + stepC }
            .takeWhile { it <= maxC + 1e-9 }
            .map { ChartTick(yOf(it), "${it.toLong()}°") }
            .toList()
        val hours = (end.toEpochMilli() - start.toEpochMilli()) / MS_PER_HOUR
        val stepH = HOUR_STEPS.firstOrNull { hours / it <= MAX_TICKS } ?: HOUR_STEPS.last()
        timeTicks = generateSequence(0L) { it + stepH }
            .takeWhile { it <= hours + 1e-9 }
            .map { h -> ChartTick(area.left + (h / hours * area.width).toFloat(), "${h}h") }
            .toList()
    }

    /** The x of [time]; times outside the chart land outside [area]. */
    fun xOf(time: Instant): Float {
        val span = (end.toEpochMilli() - start.toEpochMilli()).toDouble()
        return area.left + ((time.toEpochMilli() - start.toEpochMilli()) / span * area.width).toFloat()
    }

    /** The y of [celsius] (downwards, so hotter is higher up). */
    fun yOf(celsius: Double): Float =
        area.bottom - ((celsius - minC) / (maxC - minC) * area.height).toFloat()

    private fun band(fastest: List<CurveKnot>, slowest: List<CurveKnot>): List<ChartPoint> {
        if (fastest.isEmpty() || slowest.isEmpty()) return emptyList()
        return fastest.map { ChartPoint(xOf(it.time), yOf(it.dryBulbC)) } +
            slowest.asReversed().map { ChartPoint(xOf(it.time), yOf(it.dryBulbC)) }
    }

    companion object {
        private const val MAX_TICKS = 8
        private const val MS_PER_HOUR = 3_600_000.0
        private val HOUR_STEPS = listOf(1L, 2L, 3L, 6L, 12L, 24L, 48L, 96L)

        /**
         * Lays [curve] out on a canvas of [width] × [height] pixels, keeping the margins (in
         * pixels) free for tick labels.
         *
         * @throws IllegalArgumentException when the margins leave no room to draw.
         */
        fun layout(
            curve: BarnCurve,
            width: Float,
            height: Float,
            marginLeft: Float = 48f,
            marginTop: Float = 12f,
            marginRight: Float = 12f,
            marginBottom: Float = 28f,
        ): CurveChart {
            val area = ChartArea(marginLeft, marginTop, width - marginRight, height - marginBottom)
            require(area.width > 0f && area.height > 0f) {
                "a ${width}×$height chart has no room inside its margins"
            }
            val expected = curve.expected
            val times = buildList {
                add(expected.end)
                expected.nominal.lastOrNull()?.let { add(it.time) }
                expected.slowest.lastOrNull()?.let { add(it.time) }
                curve.measured.lastOrNull()?.let { add(it.time) }
            }
            val start = expected.start
            val latest = times.max()
            // A chart needs a time span; an hour is the least a cure shows.
            val end = if (latest.isAfter(start)) latest else start.plusSeconds(3600)

            val knots = expected.nominal + expected.fastest + expected.slowest
            val temperatures = knots.flatMap { listOf(it.dryBulbC, it.wetBulbC) } +
                curve.measured.flatMap { listOf(it.dryBulbC, it.wetBulbC) }
            val finite = temperatures.filter { it.isFinite() }
            val low = floor((finite.minOrNull() ?: 20.0) / 5.0) * 5.0
            val high = maxOf(ceil((finite.maxOrNull() ?: 70.0) / 5.0) * 5.0, low + 10.0)
            return CurveChart(area, start, end, low, high, curve)
        }
    }
}
