package cn.yannong.sample.ui.leaf

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.BitmapFactory
import android.util.Log
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.yannong.ffi.LeafMaturitySource
import cn.yannong.ffi.LeafPosition
import cn.yannong.ffi.LeafVerdict
import cn.yannong.ffi.Lesson
import cn.yannong.sample.R
import cn.yannong.sample.ui.ErrorMessage
import cn.yannong.sample.ui.ScreenTitle
import cn.yannong.sample.ui.appGraph
import java.util.concurrent.Executors
import kotlin.math.roundToInt

/**
 * The leaf check (慧眼识烟): the camera with a guide square, the leaf's position on the stalk,
 * a button that checks the next frame, then the answer with advice, lessons and "save".
 */
@Composable
fun LeafCheckScreen(openLesson: (Lesson) -> Unit) {
    val graph = appGraph()
    val context = LocalContext.current
    val vm: LeafCheckViewModel = viewModel { LeafCheckViewModel(graph, context.applicationContext) }
    val ui by vm.ui.collectAsStateWithLifecycle()
    val ready by vm.ready.collectAsStateWithLifecycle()
    val modelLoaded by vm.modelLoaded.collectAsStateWithLifecycle()
    val position by vm.position.collectAsStateWithLifecycle()

    var hasCamera by remember {
        mutableStateOf(
            ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED,
        )
    }
    val askCamera = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { hasCamera = it }
    LaunchedEffect(Unit) {
        if (!hasCamera) askCamera.launch(Manifest.permission.CAMERA)
    }

    Column(Modifier.fillMaxSize()) {
        ScreenTitle(stringResource(R.string.tab_leaf))
        when (val state = ui) {
            is LeafUi.Done -> LeafAnswer(
                state,
                onSave = vm::save,
                onAgain = vm::again,
                openLesson = openLesson,
                modifier = Modifier.weight(1f),
            )
            else -> {
                Box(Modifier.weight(1f).fillMaxWidth(), contentAlignment = Alignment.Center) {
                    if (hasCamera) {
                        CameraPreview(vm.analyzer)
                        GuideSquare()
                    } else {
                        Column(horizontalAlignment = Alignment.CenterHorizontally) {
                            Text(stringResource(R.string.leaf_camera_needed))
                            TextButton(onClick = { askCamera.launch(Manifest.permission.CAMERA) }) {
                                Text(stringResource(R.string.leaf_allow_camera))
                            }
                        }
                    }
                    if (state == LeafUi.Checking || !ready) CircularProgressIndicator()
                }
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    PositionPicker(position, onPick = { vm.position.value = it })
                    if (!modelLoaded) Text(stringResource(R.string.leaf_colour_only), style = MaterialTheme.typography.bodySmall)
                    if (state is LeafUi.Failed) ErrorMessage(state.message)
                    Text(stringResource(R.string.leaf_aim), style = MaterialTheme.typography.bodyMedium)
                    Button(
                        onClick = vm::check,
                        enabled = ready && hasCamera && state != LeafUi.Checking,
                        modifier = Modifier.fillMaxWidth(),
                    ) {
                        Text(stringResource(if (state == LeafUi.Checking) R.string.leaf_checking else R.string.leaf_check))
                    }
                }
            }
        }
    }
}

/**
 * CameraX preview and analysis (YUV_420_888, only the latest frame kept while the analyzer is
 * busy), bound to the screen's lifecycle and unbound when it leaves.
 */
@Composable
private fun CameraPreview(analyzer: ImageAnalysis.Analyzer) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val previewView = remember { PreviewView(context).apply { scaleType = PreviewView.ScaleType.FILL_CENTER } }
    AndroidView(factory = { previewView }, modifier = Modifier.fillMaxSize())
    DisposableEffect(lifecycleOwner, analyzer) {
        val executor = Executors.newSingleThreadExecutor()
        val preview = Preview.Builder().build().also { it.setSurfaceProvider(previewView.surfaceProvider) }
        val analysis = ImageAnalysis.Builder()
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
            .build()
            .also { it.setAnalyzer(executor, analyzer) }
        val providerFuture = ProcessCameraProvider.getInstance(context)
        var provider: ProcessCameraProvider? = null
        var disposed = false
        providerFuture.addListener({
            if (disposed) return@addListener
            try {
                provider = providerFuture.get().also {
                    it.bindToLifecycle(lifecycleOwner, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
                }
            } catch (e: IllegalArgumentException) {
                Log.w("LeafCheck", "no back camera to bind")
            }
        }, ContextCompat.getMainExecutor(context))
        onDispose {
            disposed = true
            provider?.unbind(preview, analysis)
            analysis.clearAnalyzer()
            executor.shutdown()
        }
    }
}

/** The square the core checks ([GUIDE_FRACTION] of the shorter side, centred), roughly. */
@Composable
private fun GuideSquare() {
    Canvas(Modifier.fillMaxSize()) {
        val side = size.minDimension * GUIDE_FRACTION.toFloat()
        drawRect(
            color = Color.White,
            topLeft = Offset((size.width - side) / 2f, (size.height - side) / 2f),
            size = Size(side, side),
            style = Stroke(width = 3.dp.toPx()),
        )
    }
}

@Composable
private fun PositionPicker(selected: LeafPosition, onPick: (LeafPosition) -> Unit) {
    val labels = listOf(
        LeafPosition.LOWER to R.string.leaf_position_lower,
        LeafPosition.MIDDLE to R.string.leaf_position_middle,
        LeafPosition.UPPER to R.string.leaf_position_upper,
    )
    Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        for ((position, label) in labels) {
            val modifier = Modifier.weight(1f)
            if (position == selected) {
                Button(onClick = {}, modifier = modifier) { Text(stringResource(label)) }
            } else {
                OutlinedButton(onClick = { onPick(position) }, modifier = modifier) { Text(stringResource(label)) }
            }
        }
    }
}

/** The core's answer as it comes: verdict, maturity, disease, hints, advice, lessons. */
@Composable
private fun LeafAnswer(
    done: LeafUi.Done,
    onSave: () -> Unit,
    onAgain: () -> Unit,
    openLesson: (Lesson) -> Unit,
    modifier: Modifier = Modifier,
) {
    val result = done.result
    val thumbnail = remember(result) {
        BitmapFactory.decodeByteArray(result.thumbnail, 0, result.thumbnail.size)?.asImageBitmap()
    }
    Column(
        modifier.fillMaxWidth().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            if (thumbnail != null) Image(thumbnail, contentDescription = null, modifier = Modifier.size(96.dp))
            Text(stringResource(verdictLabel(result.verdict)), style = MaterialTheme.typography.headlineSmall)
        }
        result.maturity?.let { m ->
            val label = if (m.source == LeafMaturitySource.COLOUR) R.string.leaf_maturity_estimate else R.string.leaf_maturity
            Text(stringResource(label, m.name.text), style = MaterialTheme.typography.titleMedium)
            Text(m.explanation.text)
        }
        result.disease?.let { d ->
            val percent = (d.probability * 100).roundToInt()
            Text(stringResource(R.string.leaf_disease, d.name.text, percent))
            if (!d.confident) Text(stringResource(R.string.leaf_not_confident), style = MaterialTheme.typography.bodySmall)
        }
        for (problem in result.problems) {
            Text("• ${problem.name.text} ${(problem.probability * 100).roundToInt()}%")
        }
        for (hint in result.hints) Text("• ${hint.text}")
        result.advice?.let { advice ->
            Text(advice.harvest.text, style = MaterialTheme.typography.titleMedium)
            advice.recipeName?.let { Text(stringResource(R.string.leaf_recipe, it.text)) }
            for (note in advice.notes) Text("• ${note.text}")
        }
        if (done.lessons.isNotEmpty()) {
            Text(stringResource(R.string.leaf_lessons), style = MaterialTheme.typography.titleMedium)
            for (lesson in done.lessons) {
                TextButton(onClick = { openLesson(lesson) }) { Text(lesson.title.text) }
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Button(onClick = onSave, enabled = !done.saved) {
                Text(stringResource(if (done.saved) R.string.leaf_saved else R.string.leaf_save))
            }
            OutlinedButton(onClick = onAgain) { Text(stringResource(R.string.leaf_again)) }
        }
    }
}

private fun verdictLabel(verdict: LeafVerdict): Int = when (verdict) {
    LeafVerdict.OK -> R.string.leaf_verdict_ok
    LeafVerdict.RETAKE -> R.string.leaf_verdict_retake
    LeafVerdict.NOT_SURE -> R.string.leaf_verdict_not_sure
    LeafVerdict.NO_LEAF -> R.string.leaf_verdict_no_leaf
}
