package cn.yannong

import cn.yannong.ffi.RecipeSource
import java.io.File
import java.util.Locale
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class LifecycleTest {
    @Test
    fun customRecipesSurviveCloseAndReopen() = coTest {
        val dir = tempDir()
        try {
            YannongClient.open(dir, Locale.ENGLISH).use { it.importRecipe(recipeJson("kept", SHORT_STEPS)) }
            YannongClient.open(dir, Locale.ENGLISH).use { client ->
                val kept = client.recipe("kept")
                assertEquals(RecipeSource.CUSTOM, kept.source)
                assertEquals(SHORT_NOMINAL, kept.nominalDuration)
                assertEquals(listOf("lower", "middle", "upper", "kept"), client.recipes().map { it.id })
            }
        } finally {
            dir.deleteRecursively()
        }
    }

    @Test
    fun useClosesTheClient() = coTest {
        val dir = tempDir()
        try {
            val client = YannongClient.open(dir)
            val count = client.use { it.recipes().size }
            assertEquals(3, count)
            val e = expectThrows<IllegalStateException> { client.recipes() }
            assertTrue(e.message, e.message!!.contains("destroyed"))
            client.close() // a second close is harmless
        } finally {
            dir.deleteRecursively()
        }
    }

    @Test
    fun opensAMissingNestedDirectory() = coTest {
        val root = tempDir()
        try {
            val nested = File(root, "files/yannong")
            YannongClient.open(nested).use { client ->
                assertEquals(nested.absoluteFile, client.dataDir)
                assertEquals(nested.absoluteFile, client.databaseFile.parentFile)
                assertTrue(client.databaseFile.isFile)
                assertEquals(3, client.recipes().size)
            }
        } finally {
            root.deleteRecursively()
        }
    }

    @Test
    fun coreVersionIsSemver() {
        val version = YannongClient.coreVersion
        assertTrue(version, Regex("""\d+\.\d+\.\d+.*""").matches(version))
    }
}
