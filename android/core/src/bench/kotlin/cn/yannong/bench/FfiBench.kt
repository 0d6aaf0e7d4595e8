package cn.yannong.bench

import cn.yannong.ffi.diagnosticsChecksum
import cn.yannong.ffi.diagnosticsChecksumDirect
import cn.yannong.ffi.diagnosticsPing
import java.nio.ByteBuffer
import kotlin.system.exitProcess

// The cost of crossing the Kotlin → Rust seam (JNA + UniFFI), not a test: run with
// `cargo xtask bench` (release library) or by hand, main class cn.yannong.bench.FfiBenchKt.
//
// Each case runs ROUNDS timed rounds after WARMUP_ROUNDS untimed ones; the table shows the
// median round. Every result is checked, so the JIT cannot drop the work.

private const val SIZE = 3 * 1024 * 1024
private const val WARMUP_ROUNDS = 3
private const val ROUNDS = 7

private class Case(val name: String, val iterations: Int, val body: (Int) -> Long)

private fun median(values: List<Double>): Double = values.sorted()[values.size / 2]

/** Runs [case] and returns the median ns per call; `body(n)` must return the sum of its n checks. */
private fun measure(case: Case, expectedPerCall: (Int) -> Long): Double {
    val perCall = mutableListOf<Double>()
    repeat(WARMUP_ROUNDS + ROUNDS) { round ->
        val start = System.nanoTime()
        val total = case.body(case.iterations)
        val elapsed = System.nanoTime() - start
        val expected = (0 until case.iterations).sumOf { expectedPerCall(it) }
        if (total != expected) {
            System.err.println("${case.name}: wrong result $total, expected $expected")
            exitProcess(1)
        }
        if (round >= WARMUP_ROUNDS) perCall += elapsed.toDouble() / case.iterations
    }
    return median(perCall)
}

fun main() {
    val data = ByteArray(SIZE)
    java.util.Random(42).nextBytes(data)
    val checksum = data.sumOf { (it.toInt() and 0xff).toLong() }
    val direct = ByteBuffer.allocateDirect(SIZE).put(data).flip()
    // UniFFI passes the buffer's base address and remaining(), ignoring its position (see
    // docs ffi-toolchain.md, pitfall 7): always pass a slice.
    val directSlice = direct.slice()
    val copy = ByteArray(SIZE)

    val ping = Case("(a) diagnosticsPing", 20_000) { n ->
        var sum = 0L
        for (i in 0 until n) sum += diagnosticsPing(i.toULong()).toLong()
        sum
    }
    val bytes = Case("(b) diagnosticsChecksum(ByteArray 3 MB)", 100) { n ->
        var sum = 0L
        repeat(n) { sum += diagnosticsChecksum(data).toLong() }
        sum
    }
    val buffer = Case("(c) diagnosticsChecksumDirect(direct ByteBuffer 3 MB)", 100) { n ->
        var sum = 0L
        repeat(n) { sum += diagnosticsChecksumDirect(directSlice).toLong() }
        sum
    }
    val arraycopy = Case("(d) System.arraycopy 3 MB (reference)", 500) { n ->
        var sum = 0L
        for (i in 0 until n) {
            System.arraycopy(data, 0, copy, 0, SIZE)
            // Read back one byte that moves each time, so the copy is observed.
            val at = (i * 7919) % SIZE
            sum += (copy[at].toInt() and 0xff).toLong() - (data[at].toInt() and 0xff).toLong()
        }
        sum
    }

    val pingNs = measure(ping) { it.toLong() + 1 }
    val bytesNs = measure(bytes) { checksum }
    val bufferNs = measure(buffer) { checksum }
    val copyNs = measure(arraycopy) { 0L }
    if (!copy.contentEquals(data)) {
        System.err.println("(d) the copy differs from the source")
        exitProcess(1)
    }

    println("Kotlin → Rust FFI, median of $ROUNDS rounds after $WARMUP_ROUNDS warm-up rounds")
    println(String.format("%-56s %12s %10s", "case", "ns/call", "iterations"))
    for ((case, ns) in listOf(ping to pingNs, bytes to bytesNs, buffer to bufferNs, arraycopy to copyNs)) {
        println(String.format("%-56s %12.0f %10d", case.name, ns, case.iterations))
    }
    println(String.format("ratio (b)/(d) ByteArray vs arraycopy:        %6.2f", bytesNs / copyNs))
    println(String.format("ratio (c)/(d) direct ByteBuffer vs arraycopy: %6.2f", bufferNs / copyNs))
    println("(b) and (c) include the core summing 3 MB; (b) also copies the array into a RustBuffer.")
}
