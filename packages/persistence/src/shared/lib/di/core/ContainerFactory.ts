import { Container } from 'inversify';
import { type BindingInputs, registerAllBindings } from '../registerAllBindings';
import { ContainerValidator } from './validation';

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
    options.configure?.(container);
    new ContainerValidator().validate(container);
    return container;
  }
}
