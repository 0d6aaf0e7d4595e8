package cn.yannong.sample.ui.barns

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.BoxWithConstraints
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.PathEffect
import androidx.compose.ui.graphics.drawscope.DrawScope
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.platform.LocalDensity
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.TextMeasurer
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.drawText
import androidx.compose.ui.text.rememberTextMeasurer
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.yannong.ChartPoint
import cn.yannong.CurveChart
import cn.yannong.ffi.BarnCurve
import cn.yannong.sample.R
import cn.yannong.sample.ui.ErrorMessage
import cn.yannong.sample.ui.Loading
import cn.yannong.sample.ui.ScreenTitle
import cn.yannong.sample.ui.appGraph
import cn.yannong.sample.ui.shortText
import kotlin.math.roundToInt

private val MeasuredDry = Color(0xFFD84315)
private val MeasuredWet = Color(0xFF1565C0)

/** One barn: its live state and its curing curve, measured against the recipe. */
@Composable
fun CurveScreen(barnId: Long, back: () -> Unit) {
    val graph = appGraph()
    val vm: CurveViewModel = viewModel { CurveViewModel(graph, barnId) }
    val curve by vm.curve.collectAsStateWithLifecycle()
    val live by vm.live.collectAsStateWithLifecycle()
    val ready = curve as? CurveUi.Ready

    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState())) {
        ScreenTitle(ready?.curve?.curing?.recipeName?.text ?: stringResource(R.string.tab_barns), onBack = back)
        LiveLine(live)
        BoxWithConstraints(Modifier.fillMaxWidth().height(300.dp).padding(8.dp)) {
            val density = LocalDensity.current
            val widthPx = with(density) { maxWidth.toPx() }
            val heightPx = with(density) { maxHeight.toPx() }
            LaunchedEffect(widthPx) { vm.setChartWidth(widthPx.roundToInt()) }
            when (val state = curve) {
                CurveUi.Loading -> Loading()
                CurveUi.NoCure -> Text(stringResource(R.string.curve_no_cure), Modifier.align(Alignment.Center))
                is CurveUi.Failed -> ErrorMessage(state.message)
                is CurveUi.Ready -> CurveCanvas(state.curve, widthPx, heightPx)
            }
        }
        if (ready != null) CurveDetails(ready.curve)
    }
}

@Composable
private fun LiveLine(live: LiveState) {
    Column(Modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        val status = when (val c = live.connection) {
            Connection.Connecting -> stringResource(R.string.curve_connecting)
            Connection.Live -> stringResource(R.string.curve_live)
            is Connection.Offline -> stringResource(R.string.curve_offline, c.retryInSeconds)
            is Connection.Ended -> stringResource(R.string.curve_ended)
        }
        Text(status, style = MaterialTheme.typography.labelLarge)
        live.latest?.let { r ->
            Text(stringResource(R.string.barns_reading, r.dryBulbC, r.wetBulbC), style = MaterialTheme.typography.titleMedium)
            Text("${r.at.shortText()} · ${stringResource(R.string.curve_vent, r.ventPct.toInt())}")
            if (!r.mainsPower) Text(stringResource(R.string.curve_mains_off), color = MaterialTheme.colorScheme.error)
            if (r.doorOpen) Text(stringResource(R.string.curve_door_open), color = MaterialTheme.colorScheme.error)
        }
    }
}

/** Draws what [CurveChart] laid out: band, gridlines, steps, expected and measured curves. */
@Composable
private fun CurveCanvas(curve: BarnCurve, width: Float, height: Float) {
    val density = LocalDensity.current
    val chart = remember(curve, width, height) {
        with(density) {
            CurveChart.layout(
                curve, width, height,
                marginLeft = 36.dp.toPx(), marginTop = 16.dp.toPx(),
                marginRight = 8.dp.toPx(), marginBottom = 20.dp.toPx(),
            )
        }
    }
    val measurer = rememberTextMeasurer()
    val colours = MaterialTheme.colorScheme
    val labelStyle = MaterialTheme.typography.labelSmall.copy(color = colours.onSurfaceVariant)
    Canvas(Modifier.fillMaxSize()) {
        val area = chart.area
        val line = Stroke(width = 2.dp.toPx())
        val dashed = PathEffect.dashPathEffect(floatArrayOf(8.dp.toPx(), 4.dp.toPx()))
        for (span in chart.excursions) {
            drawRect(
                colours.error.copy(alpha = 0.12f),
                topLeft = Offset(span.start, area.top),
                size = Size(span.endInclusive - span.start, area.height),
            )
        }
        if (chart.dryBand.isNotEmpty()) drawPath(path(chart.dryBand, close = true), colours.primary.copy(alpha = 0.15f))
        for (tick in chart.temperatureTicks) {
            drawLine(colours.outlineVariant, Offset(area.left, tick.position), Offset(area.right, tick.position))
            drawLabel(measurer, tick.label, Offset(0f, tick.position - 8.dp.toPx()), labelStyle)
        }
        for (tick in chart.timeTicks) drawLabel(measurer, tick.label, Offset(tick.position, area.bottom + 2.dp.toPx()), labelStyle)
        for (step in chart.steps) {
            drawLine(colours.outline, Offset(step.position, area.top), Offset(step.position, area.bottom), pathEffect = dashed)
            drawLabel(measurer, step.label, Offset(step.position + 2.dp.toPx(), 0f), labelStyle)
        }
        drawPath(path(chart.expectedDry), colours.primary, style = line)
        drawPath(path(chart.expectedWet), colours.primary, style = Stroke(width = 2.dp.toPx(), pathEffect = dashed))
        drawPath(path(chart.measuredDry), MeasuredDry, style = line)
        drawPath(path(chart.measuredWet), MeasuredWet, style = line)
        for (p in chart.offCurve) drawCircle(colours.error, radius = 3.dp.toPx(), center = Offset(p.x, p.y))
    }
}

/** A label at [at], left out where it would not fit on the canvas. */
private fun DrawScope.drawLabel(measurer: TextMeasurer, text: String, at: Offset, style: TextStyle) {
    if (at.x >= size.width - 12.dp.toPx() || at.y >= size.height) return
    drawText(measurer, text, topLeft = at, style = style)
}

private fun path(points: List<ChartPoint>, close: Boolean = false): Path = Path().apply {
    points.firstOrNull()?.let { moveTo(it.x, it.y) }
    for (p in points.drop(1)) lineTo(p.x, p.y)
    if (close) close()
}

@Composable
private fun CurveDetails(curve: BarnCurve) {
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
        Row(horizontalArrangement = Arrangement.spacedBy(12.dp), verticalAlignment = Alignment.CenterVertically) {
            LegendItem(MaterialTheme.colorScheme.primary, stringResource(R.string.curve_expected))
            LegendItem(MeasuredDry, stringResource(R.string.curve_measured_dry))
            LegendItem(MeasuredWet, stringResource(R.string.curve_measured_wet))
        }
        val step = curve.expected.steps.getOrNull(curve.curing.currentStep.toInt())
        Text(stringResource(R.string.curve_started, curve.curing.startedAt.shortText()))
        if (step != null) Text(stringResource(R.string.curve_step, step.code))
        Text(stringResource(R.string.curve_tolerance, curve.dryToleranceC, curve.wetToleranceC), style = MaterialTheme.typography.bodySmall)
        for (e in curve.excursions) {
            Text(
                stringResource(R.string.curve_excursion, e.stepCode, e.worstDryC, e.from.shortText(), e.to.shortText()),
                color = MaterialTheme.colorScheme.error,
            )
        }
    }
}

@Composable
private fun LegendItem(colour: Color, text: String) {
    Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(4.dp)) {
        Box(Modifier.size(12.dp).background(colour))
        Text(text, style = MaterialTheme.typography.labelMedium)
    }
}
