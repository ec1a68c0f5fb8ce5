/**
 * What only this machine knows, as a port: its probed hardware and its `genready bench`
 * calibration. Answers take it as an argument, so they stay pure over it; the CLI and the server
 * pass `productionLocal`, tests may pass a fake.
 */
import { loadCalibration } from '../bench/calibration.ts';
import type { Device } from '../catalog/devices.types.ts';
import type { Calibration } from '../cost/calibration.ts';
import { type Machine, machineFromProbe } from '../planner/machine.ts';

export interface Local {
  /** This machine, probed. */
  machine(): Promise<Machine>;
  /**
   * This machine's bench calibration of `device`, or null (none stored, or unreadable); with the
   * probed CPU's name, a calibration measured on another CPU is said so.
   */
  calibration(device: Device, probedCpu?: string): Calibration | null;
}

let probed: Promise<Machine> | undefined;

/**
 * The real machine: probed once per process (a long-running server answers every request about the
 * same hardware); a calibration store that cannot be read is reported through `warn` and ignored.
 */
export function productionLocal(warn: (msg: string) => void = () => {}): Local {
  return {
    // The probe (and systeminformation) loads only when this machine is asked about.
    machine: () => (probed ??= import('../probe/probe.ts').then((p) => p.probeMachine()).then(machineFromProbe)),
    calibration(device, probedCpu) {
      const { calibration, warning } = loadCalibration(device, undefined, probedCpu);
      if (warning) warn(calibration ? warning : `calibration ignored: ${warning}`);
      return calibration;
    },
  };
}
