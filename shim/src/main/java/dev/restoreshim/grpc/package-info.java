/**
 * gRPC endpoints on Unix domain sockets (grpc-netty on epoll): {@link dev.restoreshim.grpc.TaskEndpoint}
 * serves {@code containerd.task.v3.Task} to containerd, {@link dev.restoreshim.grpc.AdminEndpoint}
 * serves health, reflection and extra admin services. Both map uncaught failures through
 * {@link dev.restoreshim.errors.ErrorStatus} ({@link dev.restoreshim.grpc.StatusMappingInterceptor}),
 * and the Task endpoint puts the {@code containerd-namespace} header into
 * {@link dev.restoreshim.task.CallNamespace#KEY} ({@link dev.restoreshim.grpc.CallNamespaceInterceptor}).
 */
package dev.restoreshim.grpc;
