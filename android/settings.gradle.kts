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
    }
}

rootProject.name = "yannong-android"

include(":core")
