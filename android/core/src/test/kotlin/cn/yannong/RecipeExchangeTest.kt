package cn.yannong

import cn.yannong.ffi.CureTimeline
import cn.yannong.ffi.RecipeSource
import cn.yannong.ffi.YannongException
import java.time.Duration
import java.util.Locale
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class RecipeExchangeTest {
    @Test
    fun importExportAndDeleteACustomRecipe() = coTest {
        withClient { client ->
            val saved = client.importRecipe(recipeJson("my-cure", SHORT_STEPS))
            assertEquals("my-cure", saved.id)
            assertEquals(RecipeSource.CUSTOM, saved.source)
            assertEquals("Test cure my-cure", saved.name.text)
            assertEquals(listOf("Y1", "F1", "D1"), saved.steps.map { it.code })
            assertEquals(SHORT_NOMINAL, saved.nominalDuration)
            assertEquals(listOf("lower", "middle", "upper", "my-cure"), client.recipes().map { it.id })

            val json = client.exportRecipe("my-cure")
            assertTrue(json, json.contains("\"my-cure\""))
            assertTrue(json, json.contains("wet_bulb_c"))
            // The exported text imports back to the same recipe.
            assertEquals(saved, client.importRecipe(json))

            client.deleteRecipe("my-cure")
            assertEquals(3, client.recipes().size)
            expectThrows<YannongException.NotFound> { client.recipe("my-cure") }
        }
    }

    @Test
    fun invalidStepIsNamedByFieldAndZeroBasedIndex() = coTest {
        withClient(Locale.ENGLISH) { client ->
            val e = expectThrows<YannongException.InvalidInput> {
                client.importRecipe(recipeJson("bad-cure", WET_ABOVE_DRY_IN_STEP_2))
            }
            assertEquals("wet_bulb_c", e.field)
            assertEquals(1u, e.step)
            // Messages count steps from one.
            assertTrue(e.detail, e.detail.startsWith("step 2 (F1), wet_bulb_c"))
            assertEquals(e.detail, e.userMessage)
            assertTrue(e.isPermanent)
            assertFalse(e.isDiskFull)
            // Nothing was saved.
            assertEquals(3, client.recipes().size)
        }
        withClient(Locale.SIMPLIFIED_CHINESE) { client ->
            val e = expectThrows<YannongException.InvalidInput> {
                client.importRecipe(recipeJson("bad-cure", WET_ABOVE_DRY_IN_STEP_2))
            }
            assertTrue(e.detail, e.detail.startsWith("第 2 步（F1）wet_bulb_c"))
        }
    }

    @Test
    fun malformedJsonIsInvalidInputWithoutField() = coTest {
        withClient { client ->
            val e = expectThrows<YannongException.InvalidInput> { client.importRecipe("{\"id\": ") }
            assertNull(e.field)
            assertNull(e.step)
        }
    }

    @Test
    fun builtInsCannotBeReplacedOrDeleted() = coTest {
        withClient { client ->
            val replace = expectThrows<YannongException.InvalidInput> {
                client.importRecipe(recipeJson("middle", SHORT_STEPS))
            }
            assertEquals("id", replace.field)
            val delete = expectThrows<YannongException.InvalidInput> { client.deleteRecipe("middle") }
            assertEquals("id", delete.field)
            assertEquals(35.0, client.recipe("middle").steps.first().dryBulbC, 0.0)
        }
    }

    @Test
    fun unknownIdsAreNotFound() = coTest {
        withClient { client ->
            val e = expectThrows<YannongException.NotFound> { client.recipe("no-such-cure") }
            assertTrue(e.detail, e.detail.contains("no-such-cure"))
            assertTrue(e.isPermanent)
            expectThrows<YannongException.NotFound> { client.exportRecipe("no-such-cure") }
            expectThrows<YannongException.NotFound> { client.deleteRecipe("no-such-cure") }
            val timeline = CureTimeline.of("no-such-cure", START)
            expectThrows<YannongException.NotFound> { client.expectedCurve(timeline, Duration.ofHours(1)) }
            expectThrows<YannongException.NotFound> { client.deviations(timeline, emptyList()) }
        }
    }
}
