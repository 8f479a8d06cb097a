package dev.restoreshim.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.restoreshim.errors.ShimException;
import org.junit.jupiter.api.Test;

class ImageRefTest {
    @Test
    void dockerHubShortNamesAreNormalized() {
        assertEquals(new ImageRef("docker.io", "library/busybox", "latest", null), ImageRef.parse("busybox"));
        assertEquals("registry-1.docker.io", ImageRef.parse("busybox").apiHost());
        assertEquals(new ImageRef("docker.io", "x/y", "2", null), ImageRef.parse("x/y:2"));
    }

    @Test
    void registryWithPortTagAndDigest() {
        String d = "sha256:" + "a".repeat(64);
        ImageRef r = ImageRef.parse("localhost:5000/ckpt/app:v1@" + d);
        assertEquals(new ImageRef("localhost:5000", "ckpt/app", "v1", d), r);
        assertEquals(d, r.reference());
        assertEquals("localhost:5000/ckpt/app:v1@" + d, r.toString());
        assertEquals(new ImageRef("127.0.0.1:5000", "a", "latest", null), ImageRef.parse("127.0.0.1:5000/a"));
    }

    @Test
    void badReferencesAreRefusedNamingThem() {
        ShimException e = assertThrows(ShimException.class, () -> ImageRef.parse("Upper/Case:1"));
        assertEquals("image reference \"Upper/Case:1\": bad repository \"Upper/Case\"", e.getMessage());
        assertThrows(ShimException.class, () -> ImageRef.parse("a@sha256:12"));
        assertThrows(ShimException.class, () -> ImageRef.parse(""));
    }
}
