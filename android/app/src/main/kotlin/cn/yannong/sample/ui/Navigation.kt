package cn.yannong.sample.ui

import android.net.Uri
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.List
import androidx.compose.material.icons.filled.CheckCircle
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material3.Icon
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.navigation.NavGraph.Companion.findStartDestination
import androidx.navigation.NavHostController
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import cn.yannong.sample.R
import cn.yannong.sample.ui.alarms.AlarmsScreen
import cn.yannong.sample.ui.barns.BarnsScreen
import cn.yannong.sample.ui.barns.CurveScreen
import cn.yannong.sample.ui.leaf.LeafCheckScreen
import cn.yannong.sample.ui.lessons.LessonReaderScreen
import cn.yannong.sample.ui.lessons.LessonsScreen
import kotlinx.coroutines.flow.StateFlow

private enum class Tab(val route: String, val label: Int, val icon: ImageVector) {
    Leaf("leaf", R.string.tab_leaf, Icons.Filled.CheckCircle),
    Barns("barns", R.string.tab_barns, Icons.Filled.Home),
    Alarms("alarms", R.string.tab_alarms, Icons.Filled.Notifications),
    Lessons("lessons", R.string.tab_lessons, Icons.AutoMirrored.Filled.List),
}

/** Route of one barn's curve. */
private fun barnRoute(barnId: Long) = "barn/$barnId"

/** Route of one lesson page; navigation decodes the arguments again. */
private fun lessonRoute(packId: String, lessonId: String) = "lesson/${Uri.encode(packId)}/${Uri.encode(lessonId)}"

/**
 * The four tabs (leaf check, barns, alarms, lessons) and the pages under them. [openAlarms]
 * counts requests from notifications to show the alarm inbox.
 */
@Composable
fun YannongNavHost(openAlarms: StateFlow<Int>) {
    val nav = rememberNavController()
    val alarmRequests by openAlarms.collectAsStateWithLifecycle()
    LaunchedEffect(alarmRequests) {
        if (alarmRequests > 0) nav.showTab(Tab.Alarms)
    }
    val current by nav.currentBackStackEntryAsState()
    val route = current?.destination?.route
    Scaffold(
        bottomBar = {
            NavigationBar {
                for (tab in Tab.entries) {
                    NavigationBarItem(
                        selected = route == tab.route,
                        onClick = { nav.showTab(tab) },
                        icon = { Icon(tab.icon, contentDescription = null) },
                        label = { Text(stringResource(tab.label)) },
                    )
                }
            }
        },
    ) { padding ->
        NavHost(nav, startDestination = Tab.Leaf.route, modifier = Modifier.padding(padding)) {
            composable(Tab.Leaf.route) {
                LeafCheckScreen(openLesson = { nav.navigate(lessonRoute(it.packId, it.lessonId)) })
            }
            composable(Tab.Barns.route) {
                BarnsScreen(openBarn = { nav.navigate(barnRoute(it)) })
            }
            composable("barn/{barnId}", arguments = listOf(navArgument("barnId") { type = NavType.LongType })) { entry ->
                CurveScreen(barnId = entry.arguments?.getLong("barnId") ?: 0L, back = { nav.popBackStack() })
            }
            composable(Tab.Alarms.route) {
                AlarmsScreen(openLesson = { nav.navigate(lessonRoute(it.packId, it.lessonId)) })
            }
            composable(Tab.Lessons.route) {
                LessonsScreen(openLesson = { packId, lessonId -> nav.navigate(lessonRoute(packId, lessonId)) })
            }
            composable("lesson/{packId}/{lessonId}") { entry ->
                LessonReaderScreen(
                    packId = entry.arguments?.getString("packId").orEmpty(),
                    lessonId = entry.arguments?.getString("lessonId").orEmpty(),
                    back = { nav.popBackStack() },
                )
            }
        }
    }
}

/** Switches tabs the usual way: one copy of each tab, each keeping its own state. */
private fun NavHostController.showTab(tab: Tab) {
    navigate(tab.route) {
        popUpTo(graph.findStartDestination().id) { saveState = true }
        launchSingleTop = true
        restoreState = true
    }
}
