package dev.restoreshim.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.restoreshim.proto.cri.ContainerState;
import dev.restoreshim.proto.cri.ExecSyncRequest;
import dev.restoreshim.proto.cri.ExecSyncResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The restore test app (test resource {@code restore/app.c}: fills 8 MiB with pseudo-random data
 * seeded from clock and pid, writes {@link #WRITTEN}, deletes {@link #DELETED} of its image, then
 * prints {@code app: tick K sum X} every 100 ms, X a checksum of the whole filled memory) run under
 * the stock runc handler and checkpointed once through CRI {@code CheckpointContainer}: a real
 * containerd archive. The source container is removed afterwards; the archive stays in the
 * instance dir. {@link #assertContinues} checks a restored copy of it.
 *
 * @param archive the checkpoint archive
 * @param tickBefore the last tick printed before the checkpoint call
 * @param tickAfter the last tick printed when the checkpoint call had returned
 * @param sum the memory checksum the source printed (the same on every tick)
 * @param ids the source pod and container ids, for {@link LeakCheck}
 */
public record CheckpointedApp(Path archive, long tickBefore, long tickAfter, String sum, List<String> ids) {

    /** Written by the app into its rootfs before the checkpoint. */
    public static final String WRITTEN = "/etc/app-written";
    /** A file of the image the app deletes before the checkpoint. */
    public static final String DELETED = "/etc/rsit-release";
    /** Printed once when the app starts cold. */
    public static final String STARTED = "app: started";
    private static final Pattern TICK = Pattern.compile("app: tick (\\d+) sum ([0-9a-f]{16})");
    private static String image;

    /** The app image, built and pushed once per JVM. */
    public static synchronized String image() throws IOException {
        if (image == null) {
            image = StaticAppImage.buildAndPush(TestEnvironment.shared().registry(), "/restore/app.c", "app", "restore-app:1");
        }
        return image;
    }

    /** Runs the app in pod {@code src} with the runc handler, checkpoints it to {@code <instance>/<name>.tar}. */
    public static CheckpointedApp checkpoint(PrivateContainerd containerd, String name) throws Exception {
        KubeletFlow kubelet = new KubeletFlow(containerd);
        kubelet.pull(TestEnvironment.images().pause());
        kubelet.pull(image());
        KubeletFlow.Pod source = kubelet.runPod("src-" + name, "runc", Map.of());
        String app = kubelet.createContainer(source, "app", image());
        kubelet.start(app);
        kubelet.awaitState(app, ContainerState.CONTAINER_RUNNING, Duration.ofSeconds(10));
        Path log = source.logDir().resolve("app/0.log");
        KubeletFlow.awaitFile(log, s -> s.contains("app: tick 3 "), Duration.ofSeconds(20));
        Path archive = containerd.dir().resolve(name + ".tar");
        long before = lastTick(Files.readString(log));
        kubelet.checkpoint(app, archive);
        String after = Files.readString(log);
        long tickAfter = lastTick(after);
        Matcher m = TICK.matcher(after);
        assertTrue(m.find(), after);
        String sum = m.group(2);
        kubelet.remove(List.of(app), List.of(source));
        return new CheckpointedApp(archive, before, tickAfter, sum, List.of(source.id(), app));
    }

    /**
     * The restored copy whose CRI log is {@code log} continues: its first tick lies between the
     * ticks around the checkpoint (a cold start would begin at 0), it counts on, its memory
     * checksum is the source's, it never printed {@link #STARTED}; and, through ExecSync into
     * {@code containerId}, {@link #WRITTEN} is there and {@link #DELETED} is absent.
     */
    public void assertContinues(PrivateContainerd containerd, Path log, String containerId) throws IOException {
        String first = KubeletFlow.awaitFile(log, s -> TICK.matcher(s).find(), Duration.ofSeconds(20));
        Matcher m = TICK.matcher(first);
        assertTrue(m.find());
        long tick = Long.parseLong(m.group(1));
        String content = KubeletFlow.awaitFile(log, s -> s.contains("app: tick " + (tick + 1) + " "), Duration.ofSeconds(20));
        assertContinues(content);
        ExecSyncResponse files = containerd.cri().runtime().execSync(ExecSyncRequest.newBuilder()
                .setContainerId(containerId).addAllCmd(List.of("/bin/sh", "-c", filesCommand())).setTimeout(10).build());
        assertEquals(filesExpected(), files.getStdout().toStringUtf8(),
                "the delta: written file there, deleted file absent; stderr: " + files.getStderr().toStringUtf8());
    }

    /** The tick checks of {@link #assertContinues(PrivateContainerd, Path, String)} on output holding two ticks or more. */
    public void assertContinues(String output) {
        Matcher m = TICK.matcher(output);
        assertTrue(m.find(), "a tick in:\n" + output);
        long first = Long.parseLong(m.group(1));
        assertFalse(output.contains(STARTED), "a restore does not start the app again:\n" + output);
        assertTrue(first >= tickBefore && first <= tickAfter + 1, "the counter continues from the checkpoint (ticks "
                + tickBefore + ".." + tickAfter + " around it), restored first tick " + first + ":\n" + output);
        assertEquals(sum, m.group(2), "memory checksum after restore:\n" + output);
        assertTrue(m.find(), "the restored app keeps counting:\n" + output);
        assertEquals(first + 1, Long.parseLong(m.group(1)), output);
        assertEquals(sum, m.group(2), output);
    }

    /** A shell command printing {@link #WRITTEN} and whether {@link #DELETED} exists. */
    public static String filesCommand() {
        return "cat " + WRITTEN + " && if [ -e " + DELETED + " ]; then echo present; else echo absent; fi";
    }

    /** What {@link #filesCommand()} prints in a correct restore. */
    public static String filesExpected() {
        return "written by app\nabsent\n";
    }

    private static long lastTick(String log) {
        Matcher m = TICK.matcher(log);
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }
}
