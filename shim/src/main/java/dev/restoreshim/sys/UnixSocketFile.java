package dev.restoreshim.sys;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The file side of a listening Unix domain socket, shared by the TTRPC and gRPC servers: making
 * room for {@code bind(2)} without stealing a live socket, and restricting the socket to its owner
 * (mode 0600, as containerd's shims create theirs; containerd connects as root).
 */
public final class UnixSocketFile {
    /** {@code sizeof(sockaddr_un.sun_path)} on Linux, including the terminating NUL. */
    public static final int MAX_PATH_BYTES = 108;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private UnixSocketFile() {
    }

    /**
     * Makes {@code path} ready to bind: checks its length, creates the parent directory (mode
     * 0700) and removes a stale socket that nobody listens on.
     *
     * @throws FileAlreadyExistsException if a server still listens there, or the path is not a socket
     * @throws IOException                if the path is too long or the directory cannot be created
     */
    public static void prepareForBind(Path path) throws IOException {
        int bytes = path.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes >= MAX_PATH_BYTES) {
            throw new IOException("socket path %s too long: %d bytes (expected: < %d)".formatted(path, bytes, MAX_PATH_BYTES));
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new FileAlreadyExistsException(path.toString(), null, "exists and is not a socket");
        }
        if (isListening(path)) {
            throw new FileAlreadyExistsException(path.toString(), null, "another server is listening on this socket");
        }
        Files.deleteIfExists(path);
    }

    /** Restricts the socket file to its owner: mode 0600. */
    public static void restrictToOwner(Path path) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    }

    /** Whether a server accepts connections on the socket at {@code path}. */
    public static boolean isListening(Path path) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The effective uid of this process (owner of {@code /proc/self}), the one peers must share. */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read own uid from /proc/self: " + e.getMessage(), e);
        }
    }
}
