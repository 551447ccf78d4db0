#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# fail-nth-load.pl serve
#	Read commands from stdin, one per line, and answer each with a line:
#	"load N MODULE.ko": load MODULE.ko with the N-th slab allocation
#	that failslab counts made to fail: write N to
#	/proc/thread-self/fail-nth and call finit_module() from the same
#	thread (fault injection counts per task, so insmod, a child, would
#	not do). Answers "<errno> <injected>": errno 0 if the module
#	loaded, injected 1 if the N-th allocation was reached and failed
#	(Documentation/fault-injection/fault-injection.rst).
#	"unload NAME": delete_module(NAME, O_NONBLOCK), as rmmod does.
#	Answers "<errno>", 0 if it went.
#	One process serves the whole sweep, as a coprocess of the bats
#	test: on the debug kernel under TCG each process started costs
#	seconds.
#
# fail-nth-load.pl range BUILT-IN.A
#	Print the start and end of the livepatch core's text in the running
#	kernel, for failslab's require-start and require-end: the klp_
#	functions of kernel/livepatch/built-in.a (nm) where /proc/kallsyms
#	puts them, the cluster around klp_enable_patch (init and cold text
#	sit elsewhere).
#
# fail-nth-load.pl span FUNCTION
#	Print the start and end of FUNCTION's text in the running kernel
#	(the end is where the next text symbol of /proc/kallsyms starts).
#
# Perl, not Python: on the debug kernel under TCG, Python's start-up alone
# takes seconds.

use strict;
use warnings;
no warnings 'portable';		# kernel addresses are 64-bit hex

my $SYS_FINIT_MODULE = 313;	# x86_64
my $SYS_DELETE_MODULE = 176;	# x86_64
my $O_NONBLOCK = 04000;
my $GAP = 65536;		# functions further apart are not the core's

sub core_range {
	my ($obj) = @_;
	my (%size, %addr);

	open(my $nm, '-|', 'nm', '-S', '--defined-only', $obj) or die "nm: $!\n";
	while (<$nm>) {
		my @f = split;
		next unless @f == 4 && $f[2] =~ /^[tT]$/ && $f[3] =~ /^_*klp_/;
		$size{$f[3]} = hex($f[1]);
	}
	close($nm) or die "nm $obj failed\n";

	open(my $ks, '<', '/proc/kallsyms') or die "/proc/kallsyms: $!\n";
	while (<$ks>) {
		my ($hex, $t, $name) = split;
		$addr{$name} = hex($hex) if $t =~ /^[tT]$/ && exists $size{$name};
	}
	close($ks);

	my $centre = $addr{klp_enable_patch} // die "no klp_enable_patch in /proc/kallsyms\n";
	my @spans = sort { $a->[0] <=> $b->[0] }
		    map { [$addr{$_}, $addr{$_} + $size{$_}] } keys %addr;
	my ($i) = grep { $spans[$_][0] == $centre } 0 .. $#spans;
	my ($lo, $hi) = ($i, $i);
	$lo-- while $lo > 0 && $spans[$lo][0] - $spans[$lo - 1][1] < $GAP;
	$hi++ while $hi < $#spans && $spans[$hi + 1][0] - $spans[$hi][1] < $GAP;
	my $end = 0;
	$end = $_->[1] > $end ? $_->[1] : $end for @spans[$lo .. $hi];
	print "$spans[$lo][0] $end\n";
}

sub span {
	my ($func) = @_;
	my ($start, $end);

	open(my $ks, '<', '/proc/kallsyms') or die "/proc/kallsyms: $!\n";
	my @text = sort { $a <=> $b } map {
		my ($hex, $t, $name) = split;
		$start = hex($hex) if $name eq $func && $t =~ /^[tT]$/;
		$t =~ /^[tT]$/ ? hex($hex) : ();
	} <$ks>;
	close($ks);
	die "no $func in /proc/kallsyms\n" unless defined $start;
	($end) = grep { $_ > $start } @text;
	die "no text after $func\n" unless defined $end;
	print "$start $end\n";
}

sub load_failing {
	my ($nth, $path) = @_;
	my $params = '';	# syscall() passes strings as writable buffers
	my ($left, $ret, $err);

	open(my $ko, '<', $path) or die "$path: $!\n";
	open(my $knob, '+<', '/proc/thread-self/fail-nth') or die "fail-nth: $!\n";
	syswrite($knob, $nth) or die "fail-nth: $!\n";
	$ret = syscall($SYS_FINIT_MODULE, fileno($ko), $params, 0);
	$err = $ret == 0 ? 0 : $! + 0;
	# Stop counting before anything else allocates.
	# fail-nth has no file position: it cannot seek, nor needs to.
	defined(sysread($knob, $left, 32)) or die "fail-nth: $!\n";
	syswrite($knob, '0') or die "fail-nth: $!\n";
	print "$err ", ($left == 0 ? 1 : 0), "\n";
}

sub unload {
	my ($name) = @_;
	my $ret = syscall($SYS_DELETE_MODULE, $name, $O_NONBLOCK);

	print $ret == 0 ? 0 : $! + 0, "\n";
}

sub serve {
	$| = 1;
	while (my $line = <STDIN>) {
		my @cmd = split(' ', $line);

		if (@cmd == 3 && $cmd[0] eq 'load') {
			load_failing($cmd[1], $cmd[2]);
		} elsif (@cmd == 2 && $cmd[0] eq 'unload') {
			unload($cmd[1]);
		} else {
			print "? $line";
		}
	}
}

if (@ARGV == 1 && $ARGV[0] eq 'serve') {
	serve();
} elsif (@ARGV == 2 && $ARGV[0] eq 'range') {
	core_range($ARGV[1]);
} elsif (@ARGV == 2 && $ARGV[0] eq 'span') {
	span($ARGV[1]);
} else {
	die "usage: $0 serve | range BUILT-IN.A | span FUNCTION\n";
}
