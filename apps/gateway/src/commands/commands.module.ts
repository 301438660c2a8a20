import { Global, Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { BuiltinCommands } from './builtin.commands';
import { CommandRegistry } from './command-registry';
import { CommandsController } from './commands.controller';

/** Slash commands: the registry (global, so feature modules can register theirs) and the execute endpoint. */
@Global()
@Module({
  imports: [UsersModule],
  controllers: [CommandsController],
  providers: [CommandRegistry, BuiltinCommands],
  exports: [CommandRegistry],
})
export class CommandsModule {}
