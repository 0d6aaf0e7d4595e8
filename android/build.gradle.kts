// Not built in CI; CI compiles the sources with kotlinc (see android/README.md).

plugins {
    id("com.android.application") version "8.7.3" apply false
    id("com.android.library") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.1.0" apply false
    // The sample app (app/): Compose's compiler plugin ships with Kotlin from 2.0 on.
    id("org.jetbrains.kotlin.plugin.compose") version "2.1.0" apply false
    // Firebase configuration from app/google-services.json (applied only when it exists).
    id("com.google.gms.google-services") version "4.4.2" apply false
}
