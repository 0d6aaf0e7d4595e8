package cn.yannong

import cn.yannong.ffi.CuringStage
import cn.yannong.ffi.LeafMaturity
import cn.yannong.ffi.LeafPosition
import cn.yannong.ffi.RecipeSource
import cn.yannong.ffi.WaterContent
import java.time.Duration
import java.util.Locale
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class RecipesTest {
    @Test
    fun builtInsAreListedLowerMiddleUpper() = coTest {
        withClient { client ->
            val recipes = client.recipes()
            assertEquals(listOf("lower", "middle", "upper"), recipes.map { it.id })
            assertEquals(
                listOf(LeafPosition.LOWER, LeafPosition.MIDDLE, LeafPosition.UPPER),
                recipes.map { it.position },
            )
            assertTrue(recipes.all { it.source == RecipeSource.BUILT_IN })
        }
    }

    @Test
    fun middleRecipeHasTheBookValues() = coTest {
        withClient { client ->
            val middle = client.recipes().single { it.id == "middle" }
            assertEquals(7, middle.steps.size)
            val first = middle.steps.first()
            assertEquals("Y0", first.code)
            assertEquals(CuringStage.YELLOWING, first.stage)
            assertEquals(35.0, first.dryBulbC, 0.0)
            assertEquals(33.5, first.wetBulbC, 0.0)
            assertEquals(1.0, first.rampCPerH, 0.0)
            assertEquals(Duration.ofHours(4), first.holdMin)
            assertEquals(Duration.ofHours(8), first.holdNominal)
            assertEquals(Duration.ofHours(16), first.holdMax)
            assertEquals(CuringStage.STEM_DRYING, middle.steps.last().stage)
            assertEquals(67.0, middle.steps.last().dryBulbC, 0.0)
            // Ramps 10 + 6 + 8 + 12.5 + 10 + 6 + 7 h, holds 8 + 24 + 16 + 12 + 12 + 6 + 20 h.
            val expected = Duration.ofMinutes(157 * 60 + 30)
            val off = middle.nominalDuration.minus(expected).abs()
            assertTrue("nominal ${middle.nominalDuration}", off <= Duration.ofSeconds(1))
            // The same recipe by id.
            assertEquals(middle, client.recipe("middle"))
        }
    }

    @Test
    fun recipeForLeafNamesItsAdjustments() = coTest {
        withClient { client ->
            val r = client.recipeForLeaf(LeafPosition.UPPER, LeafMaturity.UNDER_RIPE, WaterContent.HIGH)
            assertEquals("upper+under-ripe+high-water", r.id)
            assertEquals(LeafPosition.UPPER, r.position)
            assertEquals(RecipeSource.BUILT_IN, r.source)
            // Adjustments change the cure, and the id leads back to the same recipe.
            assertNotEquals(client.recipe("upper").steps, r.steps)
            assertEquals(r, client.recipe(r.id))
            // Defaults: ripe, normal water = the plain built-in.
            assertEquals("middle", client.recipeForLeaf(LeafPosition.MIDDLE).id)
        }
    }

    @Test
    fun textsFollowTheLocale() = coTest {
        withClient(Locale.ENGLISH) { client ->
            assertEquals("en", client.languageTag)
            val middle = client.recipe("middle")
            assertEquals(middle.name.en, middle.name.text)
            assertTrue(middle.name.text, middle.name.text.startsWith("Middle leaves"))
        }
        withClient(Locale.SIMPLIFIED_CHINESE) { client ->
            assertEquals("zh-CN", client.languageTag)
            val middle = client.recipe("middle")
            assertEquals(middle.name.zh, middle.name.text)
            assertEquals("中部叶三段式烘烤", middle.name.text)
            assertEquals("变黄期", middle.steps.first().stageName.text)
        }
    }
}
