import { configOrExit, EmbeddedPostgres, exitOnStartupFailure, processLogger, runApp } from '@fedchat/common';
import { configureGatewayHttp } from '../../gateway/src/gateway.http';
import { GatewayModule } from '../../gateway/src/gateway.module';
import { FileTransferModule } from '../../file-transfer/src/file-transfer.module';
import { RemoteClusterModule } from '../../remote-cluster/src/remote-cluster.module';
import { SharedChannelSyncModule } from '../../shared-channel-sync/src/shared-channel-sync.module';
import { UserSyncModule } from '../../user-sync/src/user-sync.module';

/** Exit status when the embedded PostgreSQL dies under the running process (EX_UNAVAILABLE). */
const EXIT_POSTGRES_GONE = 69;

/**
 * The embedded mode: all five apps in one process, on the in-process bus, with a PostgreSQL cluster that this
 * process starts under DATA_DIR and stops on exit. DATABASE_URL, when set, replaces the embedded cluster.
 */
async function main(): Promise<void> {
  const config = configOrExit('embedded');
  const logger = processLogger(config, 'Embedded');
  let postgres: EmbeddedPostgres | undefined;
  try {
    await runApp(config, {
      modules: [GatewayModule, RemoteClusterModule, SharedChannelSyncModule, FileTransferModule, UserSyncModule],
      configureHttp: configureGatewayHttp,
      prepare: async () => {
        if (config.databaseUrl) return;
        postgres = new EmbeddedPostgres({ dataDir: config.dataDir, binDir: config.embeddedPgBinDir, log: (m) => logger.info(m) });
        // Whatever ends this process, PostgreSQL must not outlive it.
        process.once('exit', () => postgres?.stopSync());
        config.databaseUrl = await postgres.start();
        // Without its postmaster the process only fails: it exits, and its supervisor restarts it (PostgreSQL
        // replays its WAL at the next start). See docs/reliability.md.
        postgres.watch((pid) => {
          logger.fatal(`embedded PostgreSQL (postmaster ${pid}) is gone: exiting so that the suite is restarted`);
          process.exit(EXIT_POSTGRES_GONE);
        });
      },
      afterClose: async () => postgres?.stop(),
    });
  } catch (err) {
    await postgres?.stop();
    exitOnStartupFailure(err);
  }
}

void main();
