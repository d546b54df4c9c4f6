import { Container } from 'inversify';
import { type BindingInputs, registerAllBindings } from '../registerAllBindings';
import { ContainerValidationError, ContainerValidator } from './validation';

export interface ContainerFactoryOptions extends BindingInputs {
  /** Runs after the default bindings: rebind any token to your own implementation. */
  configure?: (container: Container) => void;
}

/** One container per app instance (no shared state between instances). */
export class ContainerFactory {
  constructor(private readonly options: ContainerFactoryOptions) {}

  create(): Container {
    const options = this.options;
    const container = new Container({ defaultScope: 'Singleton' });
    registerAllBindings(container, options);
    try {
      options.configure?.(container);
    } catch (error) {
      // The user's hook: its error stays the cause, under the code of a container that cannot be made.
      const message = error instanceof Error ? error.message : String(error);
      throw new ContainerValidationError(
        [{ token: 'configureContainer', problem: `the hook threw: ${message}` }],
        { cause: error },
      );
    }
    new ContainerValidator().validate(container);
    return container;
  }
}
