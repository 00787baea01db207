package check

import (
	"encoding/binary"
	"fmt"
	"sync"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// noUserNamespaces is the seccomp filter of the sandbox, as bwrap's
// --seccomp reads it (struct sock_filter, native byte order): code in the
// sandbox cannot make a user namespace, where it would be root and could
// reach kernel code that unprivileged users otherwise cannot. unshare and
// clone with CLONE_NEWUSER and setns fail with EPERM; clone3, whose flags a
// filter cannot read, fails with ENOSYS, which makes the C library fall back
// to clone. bwrap's own --disable-userns does the same only with
// --unshare-user, which the sandbox cannot use when benchmcp runs as root
// (see jail.command), so the filter covers both.
var noUserNamespaces = sync.OnceValues(func() ([]byte, error) {
	newUser := seccomp.ArgumentConditions{{Argument: 0, Operation: seccomp.BitsSet, Value: unix.CLONE_NEWUSER}}
	policy := seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{
			{
				Action: seccomp.ActionErrno, // EPERM
				Names:  []string{"setns"},
				NamesWithCondtions: []seccomp.NameWithConditions{
					{Name: "unshare", Conditions: newUser},
					{Name: "clone", Conditions: newUser},
				},
			},
			{
				Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS),
				Names:  []string{"clone3"},
			},
		},
	}
	insns, err := policy.Assemble()
	if err != nil {
		return nil, fmt.Errorf("could not build the code_exec sandbox's seccomp filter: %w; %s", err, sandboxHint)
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("could not assemble the code_exec sandbox's seccomp filter: %w; %s", err, sandboxHint)
	}
	out := make([]byte, 0, 8*len(raw))
	for _, r := range raw {
		out = binary.NativeEndian.AppendUint16(out, r.Op)
		out = append(out, r.Jt, r.Jf)
		out = binary.NativeEndian.AppendUint32(out, r.K)
	}
	return out, nil
})
