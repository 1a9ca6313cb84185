package btfheader

// The types libbcc's copy of the BPF UAPI header (compat/linux/virtual_bpf.h,
// which it force-includes) declares, read from libbcc 0.26's copy and the
// 6.1 UAPI <linux/bpf.h>: a kernel's BTF has them too, in its own version,
// and a second declaration would not compile. A newer kernel's additions are
// absent from libbcc's header as well, so they cannot clash.
var (
	uapiRecords = map[string]bool{
		"__sk_buff": true, "bpf_attr": true, "bpf_btf_info": true, "bpf_cgroup_dev_ctx": true,
		"bpf_cgroup_storage_key": true, "bpf_core_relo": true, "bpf_cpumap_val": true, "bpf_devmap_val": true,
		"bpf_dynptr": true, "bpf_fib_lookup": true, "bpf_flow_keys": true, "bpf_func_info": true,
		"bpf_insn": true, "bpf_iter_link_info": true, "bpf_line_info": true, "bpf_link_info": true,
		"bpf_list_head": true, "bpf_list_node": true, "bpf_lpm_trie_key": true, "bpf_lpm_trie_key_hdr": true,
		"bpf_lpm_trie_key_u8": true, "bpf_map_info": true, "bpf_perf_event_value": true, "bpf_pidns_info": true,
		"bpf_prog_info": true, "bpf_raw_tracepoint_args": true, "bpf_redir_neigh": true, "bpf_sk_lookup": true,
		"bpf_sock": true, "bpf_sock_addr": true, "bpf_sock_ops": true, "bpf_sock_tuple": true,
		"bpf_sockopt": true, "bpf_spin_lock": true, "bpf_stack_build_id": true, "bpf_sysctl": true,
		"bpf_tcp_sock": true, "bpf_timer": true, "bpf_tunnel_key": true, "bpf_xdp_sock": true,
		"bpf_xfrm_state": true, "btf_ptr": true, "sk_msg_md": true, "sk_reuseport_md": true,
		"xdp_md": true,
	}
	uapiEnums = map[string]bool{
		"bpf_adj_room_mode": true, "bpf_attach_type": true, "bpf_cgroup_iter_order": true,
		"bpf_check_mtu_flags": true, "bpf_check_mtu_ret": true, "bpf_cmd": true,
		"bpf_core_relo_kind": true, "bpf_func_id": true, "bpf_hdr_start_off": true,
		"bpf_link_type": true, "bpf_lwt_encap_mode": true, "bpf_map_type": true,
		"bpf_prog_type": true, "bpf_ret_code": true, "bpf_stack_build_id_status": true,
		"bpf_stats_type": true, "bpf_task_fd_type": true, "sk_action": true,
		"xdp_action": true,
	}
	// uapiAnonEnums are the anonymous enums, by their first value.
	uapiAnonEnums = map[string]bool{
		"BPF_ADJ_ROOM_ENCAP_L2_MASK": true, "BPF_ANY": true,
		"BPF_CSUM_LEVEL_QUERY": true, "BPF_DEVCG_ACC_MKNOD": true,
		"BPF_DEVCG_DEV_BLOCK": true, "BPF_FIB_LKUP_RET_SUCCESS": true,
		"BPF_FIB_LOOKUP_DIRECT": true, "BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG": true,
		"BPF_F_ADJ_ROOM_FIXED_GSO": true, "BPF_F_BPRM_SECUREEXEC": true,
		"BPF_F_BROADCAST": true, "BPF_F_CURRENT_NETNS": true,
		"BPF_F_GET_BRANCH_RECORDS_SIZE": true, "BPF_F_HDR_FIELD_MASK": true,
		"BPF_F_INDEX_MASK": true, "BPF_F_INGRESS": true,
		"BPF_F_NO_PREALLOC": true, "BPF_F_PSEUDO_HDR": true,
		"BPF_F_RECOMPUTE_CSUM": true, "BPF_F_SKIP_FIELD_MASK": true,
		"BPF_F_SYSCTL_BASE_NAME": true, "BPF_F_TUNINFO_FLAGS": true,
		"BPF_F_TUNINFO_IPV6": true, "BPF_F_ZERO_CSUM_TX": true,
		"BPF_LOAD_HDR_OPT_TCP_SYN": true, "BPF_LOCAL_STORAGE_GET_F_CREATE": true,
		"BPF_RB_AVAIL_DATA": true, "BPF_RB_NO_WAKEUP": true,
		"BPF_REG_0": true, "BPF_RINGBUF_BUSY_BIT": true,
		"BPF_SKB_TSTAMP_UNSPEC": true, "BPF_SK_LOOKUP_F_REPLACE": true,
		"BPF_SOCK_OPS_RTO_CB_FLAG": true, "BPF_SOCK_OPS_VOID": true,
		"BPF_TCP_ESTABLISHED": true, "BPF_WRITE_HDR_TCP_CURRENT_MSS": true,
		"BTF_F_COMPACT": true, "TCP_BPF_IW": true,
	}
)
