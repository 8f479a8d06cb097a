package dev.restoreshim.image;

import dev.restoreshim.archive.TarBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A two-layer base image published to a {@link FakeRegistry}, in Docker v2 or OCI form. */
public final class TestBaseImage {
    public static final byte[] LAYER_1 = TarBuilder.gzip(new TarBuilder().dir("bin").file("bin/app", "#!/bin/sh\n").build());
    public static final byte[] LAYER_2 = TarBuilder.gzip(new TarBuilder().dir("etc").file("etc/motd", "hi\n").build());

    private TestBaseImage() {
    }

    /** Publishes the image as {@code repo:tag}; returns its reference. */
    public static ImageRef publish(FakeRegistry reg, String repo, String tag, boolean docker) {
        String l1 = reg.putBlob(repo, LAYER_1);
        String l2 = reg.putBlob(repo, LAYER_2);
        String diff1 = Digests.of(LayerEntries.gunzip(LAYER_1));
        String diff2 = Digests.of(LayerEntries.gunzip(LAYER_2));
        byte[] config = ("""
                {"architecture":"%s","os":"linux","config":{"Entrypoint":["/entry"],"Cmd":["old"],"Env":["OLD=1"],\
                "WorkingDir":"/old","Labels":{"keep":"me"}},"rootfs":{"type":"layers","diff_ids":["%s","%s"]},\
                "history":[{"created_by":"base 1"},{"created_by":"base 2"}]}""")
                .formatted(BaseImage.hostArchitecture(), diff1, diff2).getBytes(StandardCharsets.UTF_8);
        String c = reg.putBlob(repo, config);
        String layerType = docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : MediaTypes.OCI_LAYER_GZIP;
        String configType = docker ? "application/vnd.docker.container.image.v1+json" : MediaTypes.OCI_CONFIG;
        String type = docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST;
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%d},\
                "layers":[{"mediaType":"%s","digest":"%s","size":%d},{"mediaType":"%s","digest":"%s","size":%d}]}"""
                .formatted(type, configType, c, config.length, layerType, l1, LAYER_1.length, layerType, l2, LAYER_2.length);
        reg.putManifest(repo, tag, type, manifest.getBytes(StandardCharsets.UTF_8));
        return ImageRef.parse(reg.host() + "/" + repo + ":" + tag);
    }

    public static List<String> layerDigests() {
        return List.of(Digests.of(LAYER_1), Digests.of(LAYER_2));
    }
}
