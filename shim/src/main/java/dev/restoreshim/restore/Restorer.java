package dev.restoreshim.restore;

import dev.restoreshim.archive.CheckpointArchive;
import dev.restoreshim.errors.ShimException;
import dev.restoreshim.overlay.DeltaCache;
import dev.restoreshim.overlay.DeltaLayer;
import dev.restoreshim.overlay.OverlayMount;
import dev.restoreshim.overlay.OverlayStack;
import dev.restoreshim.overlay.RootfsMount;
import dev.restoreshim.process.CleanupStack;
import dev.restoreshim.process.ContainerRecord;
import dev.restoreshim.process.CreateSpec;
import dev.restoreshim.sys.Mounts;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a Create that names a checkpoint into a container that restores at Start, without
 * unpacking the archive:
 * <ol>
 *   <li>index: open the archive (an uncompressed tar is indexed from its headers), choose where
 *       CRIU reads its images ({@link ImagePolicy}), and refuse at once when images bound for
 *       tmpfs exceed the staging cap, or images read in place are not plain files;</li>
 *   <li>delta: turn {@code rootfs-diff.tar} once per archive key ({@link ArchiveKey}) into a
 *       layer in the {@link DeltaCache}, an EROFS image or a directory ({@link DeltaStore}), and
 *       lease it;</li>
 *   <li>mount: the overlay with the delta as top lower layer above the request's image layers,
 *       with the request's upper and work, on {@code <bundle>/rootfs} (an image delta is mounted
 *       only for the overlay's mount call);</li>
 *   <li>images ({@link CriuImages}): mount an uncompressed archive in place as EROFS (and read its
 *       page images ahead), or stream only {@code checkpoint/*} into a per-restore tmpfs;</li>
 *   <li>create: the container, with an empty rootfs list (it is mounted) and the staged images
 *       as its checkpoint, so its Start runs {@code runc restore}.</li>
 * </ol>
 * Each resource is registered on one cleanup stack where it is born; a failure at any step
 * undoes the earlier ones, newest first, and the error reaches the Create caller. A directory of
 * CRIU images is used in place, with the request's rootfs as for an ordinary create; a restore
 * image's checkpoint layer is handled by {@link RestoreImageLayer}.
 */
public final class Restorer {
    private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);

    private final RestoreEnvironment env;

    public Restorer(RestoreEnvironment env) {
        this.env = env;
    }

    /**
     * Prepares {@code request} for {@code spec} and creates the container through {@code create}.
     *
     * @throws ShimException naming the archive and the reason; nothing is left behind then
     */
    public <C> Restoration<C> restore(CreateSpec spec, RestoreRequest request, Function<CreateSpec, C> create) {
        return restore(spec, request, names -> { }, create);
    }

    /**
     * As {@link #restore(CreateSpec, RestoreRequest, Function)}, running {@code imageCheck} on the
     * checkpoint's CRIU images before anything is mounted: on the index of an uncompressed archive,
     * on a directory of images or a restore image's layer, and, for a compressed archive (whose
     * names are only known by streaming it), on the staged images before the container is
     * created. It also learns whether CRIU will read a copy of its own ({@link CheckpointImages}).
     */
    public <C> Restoration<C> restore(CreateSpec spec, RestoreRequest request, Consumer<CheckpointImages> imageCheck,
                                      Function<CreateSpec, C> create) {
        return restore(spec, request, imageCheck, create, false);
    }

    /**
     * As {@link #restore(CreateSpec, RestoreRequest, Consumer, Function)}; with {@code lazyPages}
     * (CRIU's lazy pages on for this restore) no readahead of the page images is started even when
     * configured: the pages are read on demand by the lazy-pages daemon, and nothing page-sized may
     * compete with {@code runc restore}.
     */
    public <C> Restoration<C> restore(CreateSpec spec, RestoreRequest request, Consumer<CheckpointImages> imageCheck,
                                      Function<CreateSpec, C> create, boolean lazyPages) {
        String label = "ns=" + spec.namespace() + " id=" + spec.id() + " source=" + request.source().name().toLowerCase()
                + " origin=" + request.origin().name().toLowerCase() + " checkpoint=" + request.path();
        long t0 = System.nanoTime();
        if (request.source() == RestoreRequest.Source.IMAGES_DIR) {
            imageCheck.accept(new CheckpointImages(name -> nonEmpty(request.path().resolve(name)), false));
            C c = create.apply(withCheckpoint(spec, spec.rootfs(), request.path()));
            return new Restoration<>(label, c, new CleanupStack(), new DirectoryImages(request.path()),
                    RestoreTimings.forDirectory(ms(t0)));
        }
        if (request.source() == RestoreRequest.Source.RESTORE_IMAGE) {
            Path layerImages = request.path().resolve(RestoreImageMetadata.RESERVED_DIR)
                    .resolve(RestoreImageMetadata.IMAGES_DIR);
            imageCheck.accept(new CheckpointImages(name -> nonEmpty(layerImages.resolve(name)), false));
            try {
                return imageLayer().restore(spec, request.path(), create, label);
            } catch (RuntimeException e) {
                LOG.warn("event=restore_refused {} reason=\"{}\"", label, e.getMessage());
                throw e;
            }
        }
        CleanupStack resources = new CleanupStack();
        try {
            return fromArchive(spec, request.path(), imageCheck, create, resources, label, t0, lazyPages);
        } catch (RuntimeException e) {
            resources.close();
            LOG.warn("event=restore_refused {} reason=\"{}\"", label, e.getMessage());
            throw e;
        }
    }

    /**
     * What a restored container of a previous daemon still holds, rebuilt after a daemon restart
     * so that its Delete releases it: the overlay on {@code <bundle>/rootfs}, the lease on its
     * cached delta (when the archive and the cache entry still exist; nothing is extracted), and
     * a staging tmpfs left by a daemon that died between Create and Start; for a restore image,
     * the overlay and the read-only images mount ({@link RestoreImageLayer#readopt}). Unmounting
     * something that is not mounted is only logged.
     */
    public <C> Restoration<C> readopt(CreateSpec spec, RestoreRequest request, C container) {
        String label = "ns=" + spec.namespace() + " id=" + spec.id() + " source=" + request.source().name().toLowerCase()
                + " origin=" + request.origin().name().toLowerCase() + " checkpoint=" + request.path() + " adopted=true";
        if (request.source() == RestoreRequest.Source.RESTORE_IMAGE) {
            return new Restoration<>(label, container, imageLayer().readopt(spec.bundle()), null,
                    RestoreTimings.forDirectory(0));
        }
        CleanupStack resources = new CleanupStack();
        if (request.source() == RestoreRequest.Source.ARCHIVE) {
            try {
                String key = ArchiveKey.of(request.path());
                DeltaCache.Lease lease = existingLease(key);
                resources.push("release delta lease " + key, lease::close);
            } catch (RuntimeException e) {
                LOG.info("event=restore_readopt_no_lease {} reason=\"{}\"", label, e.getMessage());
            }
            for (Path scratch : scratchDirs(name -> isScratchOf(name, spec.namespace(), spec.id()))) { // after the overlay
                resources.push("remove scratch " + scratch, () -> removeTree(scratch));
            }
            String rootfs = spec.bundle().resolve("rootfs").toString();
            resources.push("unmount overlay " + rootfs, () -> env.mounts().unmount(rootfs, Mounts.MNT_DETACH));
            Path staging = env.stagingRoot().resolve(spec.namespace()).resolve(spec.id());
            if (Files.isDirectory(staging)) {
                try {
                    env.mounts().unmount(staging.toString(), Mounts.MNT_DETACH);
                    Files.deleteIfExists(staging);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("event=restore_readopt_staging_left {} dir={} reason=\"{}\"", label, staging, e.getMessage());
                }
            }
        }
        return new Restoration<>(label, container, resources, null, RestoreTimings.forDirectory(0));
    }

    /** A lease on the cached delta of {@code key} in either format; nothing is extracted. */
    private DeltaCache.Lease existingLease(String key) {
        return cachedLease(key)
                .orElseThrow(() -> ShimException.failedPrecondition("no cached delta of " + key + " to re-lease"));
    }

    /** A lease on the cached delta of {@code key}, the image looked up first, then the directory. */
    private Optional<DeltaCache.Lease> cachedLease(String key) {
        return env.cache().lookup(key, DeltaCache.Format.EROFS)
                .or(() -> env.cache().lookup(key, DeltaCache.Format.DIRECTORY));
    }

    /**
     * The delta of {@code archive}, leased: a cached one in either format when the preferred format
     * is an image (a delta too large for an image was kept as a directory before), else built in
     * {@code format}; a delta with more paths than an image build may model
     * ({@link DeltaLayer.TooLargeForImage}) is extracted into a directory instead.
     */
    private DeltaCache.Lease acquireDelta(CheckpointArchive archive, String key, DeltaCache.Format format,
                                          OverlayStack stack, boolean[] extracted, String label) {
        Function<DeltaCache.Format, DeltaCache.LayerWriter> writer = f -> at -> {
            extracted[0] = true;
            writeDelta(archive, at, f, stack);
        };
        if (format == DeltaCache.Format.DIRECTORY) {
            return env.cache().acquire(key, format, writer.apply(format));
        }
        var cached = cachedLease(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        try {
            return env.cache().acquire(key, DeltaCache.Format.EROFS, writer.apply(DeltaCache.Format.EROFS));
        } catch (RuntimeException e) {
            if (!DeltaLayer.isTooLargeForImage(e)) {
                throw e;
            }
            LOG.info("event=delta_as_directory {} key={} reason=\"{}\"", label, key, e.getMessage());
            return env.cache().acquire(key, DeltaCache.Format.DIRECTORY, writer.apply(DeltaCache.Format.DIRECTORY));
        }
    }

    private <C> Restoration<C> fromArchive(CreateSpec spec, Path path, Consumer<CheckpointImages> imageCheck,
                                           Function<CreateSpec, C> create,
                                           CleanupStack resources, String label, long t0, boolean lazyPages) {
        if (spec.rootfs().isEmpty()) {
            throw ShimException.failedPrecondition("restore task \"" + spec.id() + "\": archive " + path
                    + ": the request has no rootfs mount to put the checkpoint's delta on");
        }
        CheckpointArchive archive = CheckpointArchive.open(path, env.policy());
        resources.push("close archive " + path, archive::close);
        ImageStaging.requireInventory(archive);
        ImagePolicy.Kind kind = env.images().kindFor(archive);
        if (kind == ImagePolicy.Kind.TMPFS) {
            long required = ImageStaging.requiredBytes(archive);
            if (required > env.tmpfsCapBytes()) {
                throw ImageStaging.overCap(path.toString(), required, env.tmpfsCapBytes());
            }
        } else {
            ImagePolicy.checkInPlaceMembers(archive);
        }
        if (archive.indexed()) {
            imageCheck.accept(new CheckpointImages(
                    name -> archive.index().entry(ImageStaging.PREFIX + name).map(e -> e.size() > 0).orElse(false),
                    kind == ImagePolicy.Kind.TMPFS));
        }
        long tIndex = System.nanoTime();

        String key = ArchiveKey.of(path);
        DeltaCache.Format format = env.deltas().format(path);
        List<RootfsMount> mounts = spec.rootfs().stream()
                .map(m -> new RootfsMount(m.type(), m.source(), m.options())).toList();
        OverlayStack.Scratch scratch = mounts.size() == 1 && mounts.getFirst().isBind()
                ? scratch(spec, resources) : null;
        // the delta's place in the stack is known once it is leased (and, for an image, mounted)
        OverlayStack stack = OverlayStack.of(mounts, env.cache().dir().resolve(DeltaCache.entryName(key)), scratch);
        boolean[] extracted = new boolean[1];
        DeltaCache.Lease lease = acquireDelta(archive, key, format, stack, extracted, label);
        resources.push("release delta lease " + key, lease::close);
        long tDelta = System.nanoTime();

        Path rootfs = spec.bundle().resolve("rootfs");
        createDirectories(rootfs);
        OverlayMount overlay = mountOverlay(spec, stack, lease, rootfs, resources);
        long tMount = System.nanoTime();

        Path imagesAt = env.stagingRoot().resolve(spec.namespace()).resolve(spec.id());
        CriuImages images = switch (kind) {
            case TMPFS -> staged(archive, imagesAt, resources);
            case EROFS -> inPlace(archive, key, imagesAt, resources, label, lazyPages);
        };
        archive.close(); // the archive is not read after this; the stack's close is then a no-op
        if (!archive.indexed()) {
            imageCheck.accept(new CheckpointImages(name -> nonEmpty(images.dir().resolve(name)),
                    kind == ImagePolicy.Kind.TMPFS));
        }
        long tStage = System.nanoTime();

        C c = create.apply(withCheckpoint(spec, List.of(), images.dir()));
        long tCreate = System.nanoTime();
        RestoreTimings timings = new RestoreTimings(ms(t0, tIndex), ms(tIndex, tDelta), ms(tDelta, tMount),
                ms(tMount, tStage), ms(tStage, tCreate), -1, ms(t0, tCreate), !extracted[0], images.tmpfsBytes());
        LOG.info("event=restore_prepared {} key={} overlay={} images={} {}", label, key, overlay.method(),
                images.kind(), timings.logFields());
        return new Restoration<>(label, c, resources, images, timings);
    }

    /** The images copied into a per-restore tmpfs. */
    private CriuImages staged(CheckpointArchive archive, Path dir, CleanupStack resources) {
        ImageStaging staging = ImageStaging.mount(env.mounts(), dir, env.tmpfsCapBytes());
        resources.push("unmount staging " + staging.dir(), staging::close);
        staging.stage(archive);
        return staging;
    }

    /**
     * The archive mounted in place as EROFS (metadata built once per archive key), and readahead
     * of its page images started when configured (never for a lazy restore).
     */
    private CriuImages inPlace(CheckpointArchive archive, String key, Path dir, CleanupStack resources, String label,
                               boolean lazyPages) {
        ErofsMetadata.Meta meta = env.images().erofs().forArchive(key, archive.path());
        ErofsImages erofs = ErofsImages.mount(env.mounts(), env.images().backingDevices(), meta.file(), archive.path(),
                dir);
        resources.push("unmount erofs images " + erofs.mountPoint(), erofs::close);
        if (env.images().pageCache() != null && !lazyPages) {
            erofs.readahead(PageReadahead.start(env.images().pageCache(),
                    ImagePolicy.pageRanges(archive, erofs.dir()), ImagePolicy.readaheadLimit(), label));
        }
        LOG.debug("event=restore_images_in_place {} meta={} meta_cached={}", label, meta.file(), meta.cached());
        return erofs;
    }

    /** Restore images use the environment's mounts only; nothing else of it (stateless, made per use). */
    private RestoreImageLayer imageLayer() {
        return new RestoreImageLayer(env.mounts(), env.fsMounts());
    }

    /**
     * Mounts the overlay with the leased delta on top: a directory as it is; an EROFS image
     * mounted on {@code <staging>/<ns>/<id>.delta} for as long as the overlay mount takes (the
     * overlay holds its own reference to the layer, so the image mount is detached right after).
     */
    private OverlayMount mountOverlay(CreateSpec spec, OverlayStack stack, DeltaCache.Lease lease, Path rootfs,
                                      CleanupStack resources) {
        ErofsDelta.Mounted image = null;
        Path delta = lease.path();
        if (lease.format() == DeltaCache.Format.EROFS) {
            Path at = env.stagingRoot().resolve(spec.namespace()).resolve(spec.id() + ".delta");
            image = ErofsDelta.mount(env.mounts(), lease.path(), at);
            resources.push("unmount delta image " + at, image::close);
            delta = image.dir();
        }
        OverlayMount overlay = OverlayMount.mount(stack.withDelta(delta), rootfs, env.mounts(), env.fsMounts());
        resources.push("unmount overlay " + rootfs, overlay::close);
        if (image != null) {
            image.close(); // the stack's close is then a no-op
        }
        return overlay;
    }

    /** Writes the archive's delta (and deleted.files) at {@code at} in {@code format}. */
    private void writeDelta(CheckpointArchive archive, Path at, DeltaCache.Format format, OverlayStack stack) {
        List<String> deleted = archive.deletedFiles();
        DeltaLayer layer = new DeltaLayer(env.files(), env.deltaLimits());
        try {
            switch (format) {
                case DIRECTORY -> readDelta(archive, tar -> layer.extract(tar, deleted, at, stack.imageLayers()));
                case EROFS -> env.deltas().erofs().build(at, out -> readDelta(archive,
                        tar -> layer.writeTar(tar, deleted, out, stack.imageLayers(), env.deltas().maxImagePaths())));
            }
        } catch (ShimException e) {
            // the layer names the entry; the caller needs the archive too
            throw e.getMessage().startsWith("archive ") ? e
                    : new ShimException(e.kind(), "archive " + archive.path() + ": rootfs-diff.tar: " + e.getMessage(), e);
        }
    }

    /** Gives {@code layer} the archive's delta as one tar stream, or an empty one when it has none. */
    private static void readDelta(CheckpointArchive archive, Consumer<InputStream> layer) {
        if (!archive.readDelta((entry, data) -> layer.accept(data))) {
            layer.accept(InputStream.nullInputStream()); // deleted.files alone still make a layer
        }
    }

    /**
     * Removes the scratch dirs ({@code <scratch root>/<ns>-<id>-<hex>}) of every task but
     * {@code keep}: after a daemon restart, those of tasks it did not adopt (their containers are
     * gone; nothing else removes them). A name that could belong to a kept task is kept.
     */
    public void removeScratchExcept(List<ContainerRecord> keep) {
        for (Path dir : scratchDirs(name -> keep.stream().noneMatch(r -> isScratchOf(name, r.namespace(), r.id())))) {
            try {
                removeTree(dir);
                LOG.info("event=scratch_removed dir={} reason=\"no adopted task owns it\"", dir);
            } catch (IOException e) {
                LOG.warn("event=scratch_left dir={} reason=\"{}\"", dir, e.getMessage());
            }
        }
    }

    /** The dirs under the scratch root whose name {@code wanted} accepts; none when it cannot be listed. */
    private List<Path> scratchDirs(java.util.function.Predicate<String> wanted) {
        try (var dirs = Files.list(env.scratchRoot())) {
            return dirs.filter(d -> wanted.test(d.getFileName().toString())).toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.warn("event=scratch_list_failed dir={} reason=\"{}\"", env.scratchRoot(), e.getMessage());
            return List.of();
        }
    }

    /** Whether {@code name} is {@code <ns>-<id>-<hex>}, the name {@link #scratch} gives. */
    static boolean isScratchOf(String name, String ns, String id) {
        String prefix = ns + "-" + id + "-";
        return name.startsWith(prefix) && name.length() > prefix.length()
                && name.substring(prefix.length()).chars().allMatch(c -> Character.digit(c, 16) >= 0
                        && !Character.isUpperCase(c));
    }

    private OverlayStack.Scratch scratch(CreateSpec spec, CleanupStack resources) {
        Path base = env.scratchRoot().resolve(spec.namespace() + "-" + spec.id() + "-" + Long.toHexString(System.nanoTime()));
        createDirectories(base.resolve("upper"));
        createDirectories(base.resolve("work"));
        resources.push("remove scratch " + base, () -> removeTree(base));
        return new OverlayStack.Scratch(base.resolve("upper"), base.resolve("work"));
    }

    private static CreateSpec withCheckpoint(CreateSpec spec, List<dev.restoreshim.process.MountSpec> rootfs, Path images) {
        return new CreateSpec(spec.namespace(), spec.id(), spec.bundle(), rootfs, spec.stdio(), images.toString(),
                spec.parentCheckpoint());
    }

    private static boolean nonEmpty(Path image) {
        try {
            return Files.isRegularFile(image) && Files.size(image) > 0;
        } catch (IOException e) {
            return false;
        }
    }

        private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ShimException.internal("restore: create " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void removeTree(Path base) throws IOException {
        try (var walk = Files.walk(base)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static long ms(long from) {
        return ms(from, System.nanoTime());
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }
}
