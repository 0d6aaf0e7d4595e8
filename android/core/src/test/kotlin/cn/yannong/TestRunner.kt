package cn.yannong

import java.io.File
import java.lang.reflect.Modifier
import kotlin.system.exitProcess
import org.junit.runner.JUnitCore

/**
 * Runs every JUnit4 class whose name ends in `Test` under the compiled-classes directory
 * given as `args[0]` (used by `cargo xtask test`; Gradle finds tests on its own).
 *
 * Failures go to stderr with their stack traces. stdout ends with exactly one line
 * `N passed, N failed`, which xtask parses. Exits 1 on any failure, and also when no test
 * ran at all, so a broken discovery cannot look green.
 */
fun main(args: Array<String>) {
    val root = args.singleOrNull()?.let(::File)
    if (root == null || !root.isDirectory) {
        System.err.println("usage: cn.yannong.TestRunnerKt <compiled classes directory>")
        exitProcess(2)
    }
    val classes = findTestClasses(root)
    if (classes.isEmpty()) System.err.println("no *Test classes found under $root")

    val result = JUnitCore().run(*classes.toTypedArray())
    for (failure in result.failures) {
        System.err.println("FAIL ${failure.testHeader}\n${failure.trace}")
    }
    val failed = result.failureCount
    // A class-level failure (e.g. in @BeforeClass) counts as failed without a run.
    val passed = (result.runCount - failed).coerceAtLeast(0)
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && result.runCount > 0) 0 else 1)
}

/** Concrete top-level classes named `*Test`, in a stable order. */
private fun findTestClasses(root: File): List<Class<*>> {
    val loader = Thread.currentThread().contextClassLoader
    return root.walkTopDown()
        .filter { it.isFile && it.name.endsWith("Test.class") && '$' !in it.name }
        .map { it.relativeTo(root).path.removeSuffix(".class").replace(File.separatorChar, '.') }
        .sorted()
        // Not initialised here: a failing static initialiser is reported by JUnit as a test failure.
        .map { Class.forName(it, false, loader) }
        .filter { !it.isInterface && !Modifier.isAbstract(it.modifiers) }
        .toList()
}
