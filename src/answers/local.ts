/**
 * What only this machine knows, as a port: its probed hardware and its `genready bench`
 * calibration. Answers take it as an argument, so they stay pure over it; the CLI and the server
 * pass `productionLocal`, tests may pass a fake.
 */
import { loadCalibration } from '../bench/calibration.ts';
import type { Device } from '../catalog/devices.types.ts';
import type { Calibration } from '../cost/calibration.ts';
import { type Machine, machineFromProbe } from '../planner/machine.ts';
import { probeMachine } from '../probe/probe.ts';

export interface Local {
  /** This machine, probed. */
  machine(): Promise<Machine>;
  /** This machine's bench calibration of `device`, or null (none stored, or unreadable). */
  calibration(device: Device): Calibration | null;
}

let probed: Promise<Machine> | undefined;

/**
 * The real machine: probed once per process (a long-running server answers every request about the
 * same hardware); a calibration store that cannot be read is reported through `warn` and ignored.
 */
export function productionLocal(warn: (msg: string) => void = () => {}): Local {
  return {
    machine: () => (probed ??= probeMachine().then(machineFromProbe)),
    calibration(device) {
      const { calibration, warning } = loadCalibration(device);
      if (warning) warn(`calibration ignored: ${warning}`);
      return calibration;
    },
  };
}
