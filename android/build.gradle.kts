// Not built in CI; CI compiles the sources with kotlinc (see android/README.md).

plugins {
    id("com.android.library") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.1.0" apply false
}
