// Not built in CI: Gradle, the Android Gradle Plugin and Maven repositories are unreachable
// there. CI compiles the same Kotlin sources with kotlinc and runs the tests on the JVM
// (`cargo xtask test`, see android/README.md).

pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        // Push SDKs of the sample app (app/): Huawei's and Honor's own repositories, each
        // asked only for its vendor's groups, so nothing else can be resolved from them.
        maven("https://developer.huawei.com/repo/") {
            content { includeGroupByRegex("com\\.huawei\\..*") }
        }
        maven("https://developer.hihonor.com/repo/") {
            content { includeGroupByRegex("com\\.hihonor\\..*") }
        }
    }
}

rootProject.name = "yannong-android"

include(":core")
include(":app")
