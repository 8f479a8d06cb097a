package dev.restoreshim.overlay;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.FsMounts;
import dev.restoreshim.sys.Mounts;
import dev.restoreshim.sys.SysException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A mounted {@link OverlayStack}; closing it detaches the mount (once). Register {@link #close}
 * on the cleanup stack right after {@link #mount} returns.
 */
public final class OverlayMount implements AutoCloseable {
    private final Path target;
    private final Mounts mounts;
    private final OverlayStack.Method method;
    private final AtomicBoolean closed = new AtomicBoolean();

    private OverlayMount(Path target, Mounts mounts, OverlayStack.Method method) {
        this.target = target;
        this.mounts = mounts;
        this.method = method;
    }

    /** Mounts {@code stack} on {@code target} by {@link OverlayStack#method()}. */
    public static OverlayMount mount(OverlayStack stack, Path target, Mounts mounts, FsMounts fsMounts) {
        return mount(stack, target, mounts, fsMounts, stack.method());
    }

    /**
     * Mounts {@code stack} on {@code target} by {@code method}.
     *
     * @throws ShimException INTERNAL naming the target, the number of layers and the failing call
     */
    public static OverlayMount mount(OverlayStack stack, Path target, Mounts mounts, FsMounts fsMounts,
            OverlayStack.Method method) {
        String t = target.toString();
        try {
            switch (method) {
                case MOUNT_DATA -> mounts.mount("overlay", t, "overlay", stack.mountFlags(), stack.mountData());
                case FSCONFIG -> fsMounts.mount("overlay", stack.fsParams(), stack.attrFlags(), t);
            }
        } catch (SysException e) {
            throw ShimException.internal("restore rootfs: overlay mount on " + t + " (" + stack.lowerDirs().size()
                    + " lower layers, top " + stack.lowerDirs().getFirst() + "): " + e.getMessage(), e);
        }
        return new OverlayMount(target, mounts, method);
    }

    /** Where it is mounted. */
    public Path target() {
        return target;
    }

    /** How it was mounted. */
    public OverlayStack.Method method() {
        return method;
    }

    /** Detaches the mount; later calls do nothing. @throws SysException when umount2 fails */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            mounts.unmount(target.toString(), Mounts.MNT_DETACH);
        }
    }
}
