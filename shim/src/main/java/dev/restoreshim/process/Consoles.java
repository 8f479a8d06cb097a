package dev.restoreshim.process;

import dev.restoreshim.errors.ShimException;
import dev.restoreshim.sys.ConsoleSocket;
import dev.restoreshim.sys.Fds;
import dev.restoreshim.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Console sockets in their own short temp directory (a bundle path is often too long for
 * {@code sun_path}'s 108 bytes), removed with the socket.
 */
final class Consoles {
    private Consoles() {
    }

    static ConsoleSocket open(Fds fds) {
        try {
            Path dir = Files.createTempDirectory("pty");
            try {
                return ConsoleSocket.listen(dir.resolve("pty.sock"), fds);
            } catch (SysException | IllegalArgumentException e) {
                Files.deleteIfExists(dir);
                throw e;
            }
        } catch (IOException | SysException e) {
            throw ShimException.internal("create console socket: " + e.getMessage(), e);
        }
    }

    static void close(ConsoleSocket socket) {
        socket.close();
        try {
            Files.deleteIfExists(socket.path().getParent());
        } catch (IOException ignored) {
            // an empty temp directory is harmless
        }
    }
}
