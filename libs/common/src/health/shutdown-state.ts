import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { closeKeptAliveConnectionsWhen } from '../http/close-kept-alive';

/**
 * Flips when shutdown begins, so readiness fails at once and load balancers stop sending traffic, and the HTTP server
 * ends its kept-alive connections (else a client that keeps sending on one holds the app's close for ever).
 */
@Injectable()
export class ShutdownState implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private stopping = false;
  private connections?: { closeIdle(): void };

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  get isShuttingDown(): boolean {
    return this.stopping;
  }

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server) this.connections = closeKeptAliveConnectionsWhen(server, () => this.stopping);
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
    this.connections?.closeIdle();
  }
}
