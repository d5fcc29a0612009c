package protocol

// EventTypes lists every event type of the protocol, so that the fold and
// the documentation can be checked against it.
func EventTypes() []EventType {
	return []EventType{
		EvRoomOpened, EvStudentJoined, EvPresence, EvAnnouncement, EvHand, EvClassEnded, EvOwnerChanged, EvReply,
		EvStations, EvGroup, EvGroups, EvProposal, EvPlacement, EvRotation, EvClassPaused, EvActivity, EvLevel,
		EvChoices, EvChoice, EvWorkspace, EvLateRule,
		EvPractice, EvItem, EvAttempt, EvHintShown, EvOffer, EvFlag, EvHelpSent, EvThresholds, EvClosed,
		EvShare, EvTeacherPresence, EvSmallGroup, EvErased,
	}
}
