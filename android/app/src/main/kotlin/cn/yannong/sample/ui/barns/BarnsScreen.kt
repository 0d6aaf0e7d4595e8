package cn.yannong.sample.ui.barns

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import cn.yannong.BarnMonitor
import cn.yannong.ffi.BarnSummary
import cn.yannong.sample.R
import cn.yannong.sample.ui.ErrorMessage
import cn.yannong.sample.ui.Loading
import cn.yannong.sample.ui.ScreenTitle
import cn.yannong.sample.ui.appGraph
import cn.yannong.sample.ui.shortText
import cn.yannong.userMessage

/** The barns tab: a login, then every barn of the account with its newest reading. */
@Composable
fun BarnsScreen(openBarn: (Long) -> Unit) {
    val graph = appGraph()
    val context = LocalContext.current
    val vm: BarnsViewModel = viewModel { BarnsViewModel(graph, context.applicationContext) }
    val ui by vm.ui.collectAsStateWithLifecycle()
    val busy by vm.busy.collectAsStateWithLifecycle()

    Column(Modifier.fillMaxSize()) {
        ScreenTitle(stringResource(R.string.tab_barns)) {
            if (ui is BarnsUi.Listed) TextButton(onClick = vm::logout) { Text(stringResource(R.string.barns_logout)) }
        }
        when (val state = ui) {
            BarnsUi.Loading -> Loading()
            is BarnsUi.LoggedOut -> LoginForm(state.message, busy, vm::login)
            is BarnsUi.Failed -> ErrorMessage(state.message)
            is BarnsUi.Listed -> BarnList(state.snapshot, openBarn)
        }
    }
}

@Composable
private fun LoginForm(message: String?, busy: Boolean, login: (String, String) -> Unit) {
    var phone by rememberSaveable { mutableStateOf("") }
    // Not saveable: a password does not go into the saved instance state.
    var password by remember { mutableStateOf("") }
    Column(Modifier.fillMaxWidth().padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(stringResource(R.string.barns_login_title), style = MaterialTheme.typography.titleMedium)
        OutlinedTextField(
            value = phone,
            onValueChange = { phone = it },
            label = { Text(stringResource(R.string.barns_phone)) },
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
            singleLine = true,
            modifier = Modifier.fillMaxWidth(),
        )
        OutlinedTextField(
            value = password,
            onValueChange = { password = it },
            label = { Text(stringResource(R.string.barns_password)) },
            visualTransformation = PasswordVisualTransformation(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
            singleLine = true,
            modifier = Modifier.fillMaxWidth(),
        )
        if (message != null) Text(message, color = MaterialTheme.colorScheme.error)
        Button(
            onClick = { login(phone, password) },
            enabled = !busy && phone.isNotBlank() && password.isNotEmpty(),
            modifier = Modifier.fillMaxWidth(),
        ) { Text(stringResource(R.string.barns_login)) }
    }
}

@Composable
private fun BarnList(snapshot: BarnMonitor.Snapshot, openBarn: (Long) -> Unit) {
    LazyColumn(Modifier.fillMaxSize()) {
        item {
            // Everything shown comes from the phone's copy: say how fresh it is, and why not.
            val synced = snapshot.syncedAt?.let { stringResource(R.string.barns_synced, it.shortText()) }
                ?: stringResource(R.string.barns_never_synced)
            Text(synced, style = MaterialTheme.typography.bodySmall, modifier = Modifier.padding(horizontal = 16.dp))
            snapshot.syncError?.let {
                Text(it.userMessage, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(horizontal = 16.dp))
            }
        }
        if (snapshot.barns.isEmpty()) {
            item { Text(stringResource(R.string.barns_empty), modifier = Modifier.padding(16.dp)) }
        }
        items(snapshot.barns, key = { it.id }) { barn ->
            BarnRow(barn, onClick = { openBarn(barn.id) })
            HorizontalDivider()
        }
    }
}

@Composable
private fun BarnRow(barn: BarnSummary, onClick: () -> Unit) {
    Column(Modifier.fillMaxWidth().clickable(onClick = onClick).padding(16.dp)) {
        Text(barn.name, style = MaterialTheme.typography.titleMedium)
        Text("${barn.village} · ${barn.ownerName}", style = MaterialTheme.typography.bodySmall)
        val latest = barn.latest
        if (latest == null) {
            Text(stringResource(R.string.barns_no_reading))
        } else {
            Text(stringResource(R.string.barns_reading, latest.dryBulbC, latest.wetBulbC))
            Text(latest.at.shortText(), style = MaterialTheme.typography.bodySmall)
        }
    }
}
