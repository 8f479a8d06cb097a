package dev.restoreshim.cli;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.archive.CheckpointSummary;
import dev.restoreshim.archive.ContainerInfo;
import dev.restoreshim.archive.EntryPolicy;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.image.BaseImage;
import dev.restoreshim.image.ImageRef;
import dev.restoreshim.image.ImageTarget;
import dev.restoreshim.image.OciLayoutTarget;
import dev.restoreshim.image.Progress;
import dev.restoreshim.image.RegistryClient;
import dev.restoreshim.image.RegistryTarget;
import dev.restoreshim.image.RestoreImage;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code restore-shim convert ARCHIVE (--push REF | --oci-layout DIR [--tag TAG]) [--base REF]
 * [--plain-http] [--chunked]}: turns a checkpoint archive into a restore image (docs/restore-image.md). The
 * base image is {@code --base} or the one the archive names; it is read from its registry. With
 * {@code --push} the image goes to a registry, base layers reused by digest; with
 * {@code --oci-layout} it is written to an OCI image layout directory. New layers go up as one
 * streamed PATCH each, or with {@code --chunked} as 16 MiB range chunks (for registries that refuse
 * streamed uploads). Progress is drawn on stderr
 * when there is a terminal; the result is one line on stdout.
 */
final class ConvertCommand {
    static final String USAGE = "usage: restore-shim convert ARCHIVE (--push REF | --oci-layout DIR [--tag TAG]) [--base REF] [--plain-http] [--chunked]";

    private final PrintStream out;
    private final PrintStream err;

    ConvertCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        Flags flags = Flags.parse(args, Set.of("push", "oci-layout", "tag", "base"), Set.of("plain-http", "chunked"));
        if (flags.positional().size() != 1 || (flags.value("push") == null) == (flags.value("oci-layout") == null)) {
            throw new UsageException(USAGE);
        }
        if (flags.value("tag") != null && flags.value("push") != null) {
            throw new UsageException("--tag goes with --oci-layout; with --push the tag is part of REF");
        }
        boolean plainHttp = flags.has("plain-http");
        Path archivePath = Path.of(flags.positional().getFirst());
        long started = System.nanoTime();
        try (CheckpointArchive archive = CheckpointArchive.open(archivePath, EntryPolicy.defaults())) {
            CheckpointSummary summary = archive.summary(false);
            ImageRef baseRef = ImageRef.parse(baseReference(flags.value("base"), summary.container(), archivePath));
            RegistryClient baseClient = new RegistryClient(baseRef.apiHost(), plainHttp);
            BaseImage base = fetchBase(baseClient, baseRef);
            ImageTarget target;
            if (flags.value("push") != null) {
                ImageRef pushRef = ImageRef.parse(flags.value("push"));
                RegistryClient client = pushRef.apiHost().equals(baseRef.apiHost()) ? baseClient
                        : new RegistryClient(pushRef.apiHost(), plainHttp);
                target = new RegistryTarget(client, pushRef, baseRef, baseClient,
                        flags.has("chunked") ? RegistryTarget.Upload.CHUNKED : RegistryTarget.Upload.STREAMED, 16 << 20);
            } else {
                String tag = flags.value("tag") == null ? "latest" : flags.value("tag");
                target = new OciLayoutTarget(Path.of(flags.value("oci-layout")), tag,
                        layer -> baseClient.openBlob(baseRef.repository(), layer.digest()));
            }
            java.io.Console console = System.console();
            Progress progress = console != null && console.isTerminal() ? Progress.bar(err) : Progress.none();
            RestoreImage.Result r = RestoreImage.build(archive, summary, base, target, progress);
            long ms = (System.nanoTime() - started) / 1_000_000;
            out.println(target.describe() + "@" + r.manifestDigest() + " base=" + baseRef + " base_layers="
                    + base.layers().size() + " reuse=" + r.reuse() + " delta_bytes=" + r.delta().descriptor().size()
                    + " checkpoint_bytes=" + r.checkpoint().descriptor().size() + " images=" + r.checkpoint().images().size()
                    + " elapsed_ms=" + ms);
            out.flush();
            return Main.EXIT_OK;
        }
    }

    private static BaseImage fetchBase(RegistryClient client, ImageRef ref) {
        try {
            return BaseImage.fetch(client, ref, "linux", BaseImage.hostArchitecture());
        } catch (ShimException e) {
            throw new ShimException(e.kind(), "base image " + ref + ": " + e.getMessage());
        }
    }

    /**
     * The base image: the flag, else what config.dump recorded (a full reference in
     * rootfsImageRef, else rootfsImageName, else rootfsImage when it is a reference).
     */
    static String baseReference(String flag, ContainerInfo c, Path archive) {
        if (flag != null && !flag.isEmpty()) {
            return flag;
        }
        if (c.rootfsImageRef().contains("/")) {
            return c.rootfsImageRef();
        }
        if (!c.rootfsImageName().isEmpty()) {
            return c.rootfsImageName();
        }
        if (c.rootfsImage().contains("/")) {
            return c.rootfsImage();
        }
        throw new UsageException("archive " + archive + " names no base image reference (config.dump rootfsImageName); give --base REF");
    }
}
