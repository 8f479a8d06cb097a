/**
 * Containers and their processes, after containerd's runc shim
 * ({@code cmd/containerd-shim-runc-v2/process} and {@code runc/container.go}).
 *
 * <p>{@link dev.restoreshim.process.Container} is the aggregate the Task layer drives: create
 * (rootfs mounts, stdio fifos, {@code runc create}), start, exec, kill, pause, resume, update,
 * pids, resize, close-io, wait, delete, and {@code adopt} after a daemon restart. Each process
 * has a sealed state machine ({@link dev.restoreshim.process.InitState},
 * {@link dev.restoreshim.process.ExecState}) behind its own lock. Starts and exits reach the
 * {@link dev.restoreshim.process.ExitListener} in containerd's order: a process's start before its
 * exit, every exec's exit before the init's.
 */
package dev.restoreshim.process;
