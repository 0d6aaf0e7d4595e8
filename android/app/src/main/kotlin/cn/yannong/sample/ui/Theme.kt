package cn.yannong.sample.ui

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Typography
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.sp

private val Leaf = Color(0xFF2E7D32)
private val Cured = Color(0xFFB8860B)
private val Alarm = Color(0xFFC62828)

/** Green and cured-leaf gold; body text a size up, for reading in the field. */
@Composable
fun YannongTheme(content: @Composable () -> Unit) {
    val colours = if (isSystemInDarkTheme()) {
        darkColorScheme(primary = Color(0xFF81C784), secondary = Color(0xFFE0B84F), error = Color(0xFFEF9A9A))
    } else {
        lightColorScheme(primary = Leaf, secondary = Cured, error = Alarm)
    }
    val base = Typography()
    val typography = base.copy(
        bodyLarge = base.bodyLarge.copy(fontSize = 18.sp, lineHeight = 26.sp),
        bodyMedium = base.bodyMedium.copy(fontSize = 16.sp, lineHeight = 22.sp),
    )
    MaterialTheme(colorScheme = colours, typography = typography, content = content)
}
