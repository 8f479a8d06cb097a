import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Stand-in for `restore-shim daemon` in LauncherScriptTest, which compiles it. It keeps
 * the daemon contract (daemon.pid, three sockets, then ready) and records each spawn in
 * DIR/spawns. FAKE_MODE=die exits before binding; FAKE_MODE=never-ready never writes ready.
 */
public class FakeDaemon {
    public static void main(String[] args) throws Exception {
        System.out.println("args: " + String.join(" ", args));
        Path dir = null;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--dir")) {
                dir = Path.of(args[i + 1]);
            }
        }
        String pid = Long.toString(ProcessHandle.current().pid());
        Files.writeString(dir.resolve("spawns"), pid + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        String mode = System.getenv().getOrDefault("FAKE_MODE", "ok");
        if (mode.equals("die")) {
            System.err.println("fake daemon: cannot bind");
            System.exit(3);
        }
        Files.writeString(dir.resolve("daemon.pid"), pid + "\n");
        List<ServerSocketChannel> sockets = new ArrayList<>();
        for (String name : List.of("ttrpc.sock", "grpc.sock", "admin.sock")) {
            Files.deleteIfExists(dir.resolve(name));
            sockets.add(ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(dir.resolve(name))));
        }
        if (!mode.equals("never-ready")) {
            Files.writeString(dir.resolve("ready"), "");
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
