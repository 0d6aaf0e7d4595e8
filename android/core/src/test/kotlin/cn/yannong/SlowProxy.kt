package cn.yannong

import java.io.Closeable
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.concurrent.thread

/**
 * A loopback TCP proxy that passes the platform's answers on at [bytesPerSecond], like a
 * weak rural connection, so a test can stop a download in the middle.
 */
internal class SlowProxy(private val upstreamPort: Int, private val bytesPerSecond: Int) : Closeable {
    private val server = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    private val sockets = CopyOnWriteArrayList<Socket>()

    val url: String get() = "http://127.0.0.1:${server.localPort}"

    init {
        thread(isDaemon = true, name = "slow-proxy") {
            while (!server.isClosed) {
                val phone = runCatching { server.accept() }.getOrNull() ?: break
                val platform = Socket()
                runCatching {
                    platform.connect(InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort))
                }.onFailure { phone.close(); return@thread }
                sockets += phone
                sockets += platform
                thread(isDaemon = true) { pipe(phone, platform, 0) }
                thread(isDaemon = true) { pipe(platform, phone, bytesPerSecond) }
            }
        }
    }

    private fun pipe(from: Socket, to: Socket, rate: Int) {
        val buf = ByteArray(1024)
        runCatching {
            val input = from.getInputStream()
            val output = to.getOutputStream()
            while (true) {
                val n = input.read(buf)
                if (n < 0) break
                output.write(buf, 0, n)
                output.flush()
                if (rate > 0) Thread.sleep(n * 1000L / rate)
            }
        }
        runCatching { from.close() }
        runCatching { to.close() }
    }

    override fun close() {
        server.close()
        sockets.forEach { runCatching { it.close() } }
    }
}
