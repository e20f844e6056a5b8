# frozen_string_literal: true

module Cfcerts
  # @api private: a fleet hook handed out by an apply (cfcerts_fleet_apply_next), run as `cfcerts apply` runs it:
  # /bin/sh -c HOOK with standard input from /dev/null, this process's environment less the credential variables
  # ("unset") plus the entry's CFCERTS_* variables, in a process group of its own. It is ended after timeout
  # seconds, by stop (a cancel, from any thread) or by an exception in the waiting thread (Ctrl-C): SIGTERM to its
  # group, SIGKILL 5 s later; whatever is left of the group is then killed, so nothing it started outlives it. A
  # hook that ends by itself keeps what it started in the background.
  class HookProcess
    GRACE = 5.0
    POLL = 0.02

    def initialize(hook, timeout)
      @hook = hook
      @timeout = timeout
      @stop = false
    end

    # Ends the hook (SIGTERM to its group, SIGKILL after the grace): the apply was cancelled.
    def stop
      @stop = true
    end

    # [succeeded, how it failed]
    def run
      environment = @hook["unset"].to_h { |name| [name, nil] }.merge(@hook["environment"])
      begin
        pid = Process.spawn(environment, "/bin/sh", "-c", @hook["command"], in: File::NULL, pgroup: true)
      rescue SystemCallError => e
        return [false, "could not be started: #{e.message}"]
      end
      status, ended_because = watch(pid)
      if ended_because
        signal_group(pid, :KILL)
        return [false, ended_because == :timeout ? "was ended after its timeout (#{@timeout} s)" : "was ended: the apply was cancelled"]
      end
      return [true, nil] if status.success?
      return [false, "was killed by signal #{status.termsig}"] if status.signaled?

      [false, "exited with status #{status.exitstatus}"]
    end

    private

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

    # Waits for the hook: [its status, why it was ended (nil, :timeout, :cancel)].
    def watch(pid)
      deadline = now + @timeout
      ended_because = nil
      terminated_at = 0.0
      loop do
        _, status = Process.wait2(pid, Process::WNOHANG)
        return [status, ended_because] if status

        if ended_because.nil? && (now >= deadline || @stop)
          ended_because = now >= deadline ? :timeout : :cancel
          signal_group(pid, :TERM)
          terminated_at = now
        elsif ended_because && now >= terminated_at + GRACE
          signal_group(pid, :KILL)
        end
        sleep POLL
      end
    rescue Exception # rubocop:disable Lint/RescueException -- Interrupt too: the hook must not outlive the apply
      finish(pid)
      raise
    end

    def finish(pid)
      signal_group(pid, :TERM)
      deadline = now + GRACE
      sleep POLL while now < deadline && !reaped?(pid)
      signal_group(pid, :KILL)
      reaped?(pid) || sleep(POLL)
    end

    def reaped?(pid)
      !Process.wait2(pid, Process::WNOHANG).nil?
    rescue SystemCallError
      true
    end

    def signal_group(pid, signal)
      Process.kill(signal, -pid)
    rescue SystemCallError
      nil
    end
  end
end
