/**
 * PID 1 of a micro-VM guest: a busybox shell script, so the image needs no init system. It
 * loads the virtio drivers, mounts the user's folders (9p), brings up QEMU's user network,
 * reads the guest's variables from fw_cfg (never the kernel command line, which `ps` shows on
 * the host), then runs `oxydra guest` with its stdin on the control port: the envelope frame
 * arrives there, and the port's end (the runner closing its side) is the guest's lifeline, as
 * the process tier's stdin is. When the guest exits, the VM powers off and QEMU exits.
 */

/** The virtio-serial port's name, and the fw_cfg entry holding the guest's variables. */
export const CONTROL_PORT_NAME = 'org.oxydra.control';
export const ENV_FW_CFG_NAME = 'opt/oxydra/env';
/** QEMU user networking: the guest's fixed address. */
export const GUEST_ADDRESS = '10.0.2.15';
/**
 * The variable carrying the gateway's port: the host's forwarded port, the same number inside,
 * so that a client's Host header (127.0.0.1:<port>) names the port the gateway is bound to (its
 * DNS-rebinding check accepts loopback names on its own port only).
 */
export const GATEWAY_PORT_VARIABLE = 'OXYDRA_VM_GATEWAY_PORT';
/**
 * The 9p mount tags: the user's workspace folders at /workspace/<tag> (vault read-only), and
 * the guest's HOME at /root. HOME must outlive the VM: it holds the key the guest signs its
 * databases with, and a fresh key at each boot would set the user's memory aside as foreign.
 */
export const SHARES = [
  { tag: 'shared', readOnly: false },
  { tag: 'tmp', readOnly: false },
  { tag: 'vault', readOnly: true },
  { tag: 'home', readOnly: false },
] as const;
const mountPoint = (tag: string) => (tag === 'home' ? '/root' : `${VM_WORKSPACE}/${tag}`);
const VM_WORKSPACE = '/workspace';
export const VM_OXYDRA_DIR = '/opt/oxydra';

/**
 * cache=mmap: the memory database's WAL maps its -shm file, which 9p refuses without it
 * ("disk I/O error"); writes still go straight to the host.
 */
export function vmInitScript(modules: readonly string[]): string {
  const mounts = SHARES.map(
    ({ tag, readOnly }) =>
      `mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=mmap${readOnly ? ',ro' : ''} ${tag} ${mountPoint(tag)} || fail "cannot mount the ${tag} folder"`,
  ).join('\n');
  return `#!/bin/busybox sh
fail() { echo "oxydra-vm: $1" >&2; [ -e /dev/ttyS1 ] && echo "oxydra-vm: $1" > /dev/ttyS1; poweroff -f; }
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs -o mode=0755 tmpfs /run; mount -t tmpfs -o mode=1777 tmpfs /tmp
for m in ${modules.join(' ')}; do insmod /lib/modules/$m.ko || fail "cannot load the kernel module $m"; done
mkdir -p ${SHARES.map(({ tag }) => mountPoint(tag)).join(' ')} ${VM_WORKSPACE}/ipc ${VM_WORKSPACE}/logs
${mounts}
ip link set lo up && ip link set eth0 up && ip addr add ${GUEST_ADDRESS}/24 dev eth0 && ip route add default via 10.0.2.2 || fail "cannot configure the network"
echo "nameserver 10.0.2.3" > /etc/resolv.conf
env=/sys/firmware/qemu_fw_cfg/by_name/${ENV_FW_CFG_NAME}/raw
[ -r "$env" ] || fail "no guest variables in fw_cfg"
set -a; . "$env"; set +a
port=
for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name")" = ${CONTROL_PORT_NAME} ] && port=/dev/\${p##*/}; done
[ -n "$port" ] || fail "no control port ${CONTROL_PORT_NAME}"
echo "oxydra-vm: booted in $(cut -d' ' -f1 /proc/uptime) s"
# Through a FIFO, not the port itself: Node reads a character device as a file, in a blocking
# read that would keep the guest from exiting; a FIFO is a pipe, as the process tier's stdin.
mkfifo /run/control
cat "$port" > /run/control &
cd ${VM_WORKSPACE}/shared
node ${VM_OXYDRA_DIR}/bin/oxydra.js guest --bootstrap-stdin --exit-on-stdin-close --gateway-bind ${GUEST_ADDRESS}:"$${GATEWAY_PORT_VARIABLE}" < /run/control > /dev/ttyS0 2> /dev/ttyS1
echo "oxydra-vm: the guest exited with code $?" > /dev/ttyS1
poweroff -f
`;
}

/** The guest's variables as the shell script fw_cfg carries: NAME='value', quotes escaped. */
export function shellEnvFile(vars: Readonly<Record<string, string>>): string {
  return Object.entries(vars)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`internal: bad variable name ${name}`);
      return `${name}='${value.replaceAll("'", "'\\''")}'\n`;
    })
    .join('');
}
