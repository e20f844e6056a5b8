# frozen_string_literal: true

module Cfcerts
  # @api private: a fleet hook handed out by an apply (cfcerts_fleet_apply_next), run as `cfcerts apply` runs it:
  # /bin/sh -c HOOK with standard input from /dev/null, this process's environment less the credential variables
  # ("unset") plus the entry's CFCERTS_* variables, in a process group of its own. It is ended after timeout
  # seconds, by stop (a cancel, from any thread), or when the waiting thread is interrupted or killed: SIGTERM to
  # its group, SIGKILL 5 s later or as soon as the shell has ended, sent before the shell is reaped (its group id
  # cannot have been reused). A hook that ends by itself keeps what it started in the background.
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
      pid = nil
      reaped = false
      begin
        pid = Process.spawn(environment, "/bin/sh", "-c", @hook["command"], in: File::NULL, pgroup: true)
      rescue SystemCallError => e
        return [false, "could not be started: #{e.message}"]
      end
      begin
        ended_because = watch(pid)
        signal_group(pid, :KILL) if ended_because || !exited_normally?(pid)
        _, status = Process.wait2(pid)
        reaped = true
        describe(status, ended_because)
      ensure
        # Interrupted, or the thread killed: the hook does not outlive the apply.
        finish(pid) unless reaped
      end
    end

    private

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

    # Waits until the shell has ended, leaving it unreaped: why it was ended (nil, :timeout or :cancel).
    def watch(pid)
      deadline = now + @timeout
      ended_because = nil
      terminated_at = 0.0
      until ended?(pid)
        if ended_because.nil? && (now >= deadline || @stop)
          ended_because = now >= deadline ? :timeout : :cancel
          signal_group(pid, :TERM)
          terminated_at = now
        elsif ended_because && now >= terminated_at + GRACE
          signal_group(pid, :KILL)
        end
        sleep POLL
      end
      ended_because
    end

    def describe(status, ended_because)
      case ended_because
      when :timeout then return [false, "was ended after its timeout (#{format('%g', @timeout)} s)"]
      when :cancel then return [false, "was ended: the apply was cancelled"]
      end
      return [true, nil] if status.success?
      return [false, "was killed by signal #{status.termsig}"] if status.signaled?

      [false, "exited with status #{status.exitstatus}"]
    end

    # SIGTERM to the group, SIGKILL once the shell ended or after the grace (also when the grace is interrupted).
    def finish(pid)
      signal_group(pid, :TERM)
      deadline = now + GRACE
      sleep POLL while now < deadline && !ended?(pid)
    ensure
      signal_group(pid, :KILL)
      begin
        Process.wait(pid)
      rescue SystemCallError
        nil
      end
    end

    # The shell has ended (a zombie, or gone): /proc, so that it stays unreaped until its group is dealt with.
    def ended?(pid)
      state = File.read("/proc/#{pid}/stat").split(") ").last.to_s[0]
      state.nil? || state == "Z" || state == "X"
    rescue SystemCallError
      true
    end

    # Whether the ended shell exited (rather than being killed by a signal): /proc/PID/stat's exit code field.
    def exited_normally?(pid)
      fields = File.read("/proc/#{pid}/stat").split(") ").last.to_s.split
      (fields[49].to_i & 0x7f).zero?
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
